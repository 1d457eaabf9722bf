# k42: a Go kernel for QEMU pseries with online reconfiguration.
#
#   make run     boot the console (installs QEMU if missing)
#   make test    host tests with -race, then the in-kernel suite
#   make bench   the paper's evaluation (Table 1, Figures 4-7, beside Linux), in-kernel benchmarks, boot time
#   make bench-quick  the paper's evaluation reduced to a few minutes (JSON, plots, RESULTS.md)
#   make bench-linux  k42 against Linux on the same QEMU (benchmarks/results, RESULTS.md)
#   make runner  build the runner, bin/k42 (it keeps every exit status)
#   make kernel  build .build/k42.img only
#   make debug   boot the console under QEMU's gdb server (see README, Debugging with gdb)

SMP     ?= 4
MEM     ?= 512M
TIMEOUT ?= 10m
GO      ?= go

RUNNER  := bin/k42

# Packages whose code runs in trap context or before the runtime exists.
TRAP_PKGS := k42/kernel k42/arch/ppc64 k42/kernel/frames k42/kernel/vm k42/kernel/initrd k42/kernel/linux k42/fs/serve/client

.PHONY: all kernel runner run test vet test-host test-kernel bench bench-quick bench-paper bench-linux qemu clean

all: runner kernel

# The runner. go run would turn every non-zero exit status into 1; the
# binary passes the kernel's own status through.
runner:
	$(GO) build -o $(RUNNER) ./qemu

# QEMU comes from Debian's qemu-system-ppc; installed when missing.
qemu:
	@command -v qemu-system-ppc64 >/dev/null 2>&1 || { \
	  echo "installing qemu-system-ppc (Debian)"; \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq qemu-system-ppc >/dev/null; }
	@qemu-system-ppc64 --version | head -1

kernel: runner
	$(RUNNER) -build

run: qemu runner
	$(RUNNER) -smp $(SMP) -m $(MEM)

# The console with QEMU stopped at the first instruction, its gdb server
# on GDB_PORT: the runner prints the gdb-multiarch command that attaches
# with the kernel's symbols (apt-get install gdb-multiarch). ARGS are the
# boot arguments (make debug ARGS=info).
GDB_PORT ?= 1234
.PHONY: debug
debug: qemu runner
	$(RUNNER) -gdb -gdb-port $(GDB_PORT) -smp $(SMP) -m $(MEM) $(if $(ARGS),-- $(ARGS))

test: qemu vet test-host test-kernel

# go vet for the kernel's architecture and the host's. Its unsafeptr check
# flags every integer-to-pointer conversion; the project allows them only
# in *_unsafe.go files, so any finding elsewhere (or any other finding)
# fails.
vet:
	@for env in "GOOS=linux GOARCH=ppc64" ""; do \
	  out=$$(env $$env $(GO) vet ./... 2>&1 | grep -v '^#' | grep -v '_unsafe.go:[0-9]*:[0-9]*: possible misuse of unsafe.Pointer'); \
	  if [ -n "$$out" ]; then echo "go vet ($${env:-host}):"; echo "$$out"; exit 1; fi; \
	done; echo "go vet: clean outside *_unsafe.go (ppc64 and host)"
	@# Trap context may not allocate nor use the runtime's defer records:
	@# the compiler's escape and defer reports for those packages must show
	@# no heap allocation (constant conversions to an interface are static
	@# data) and only open-coded defers.
	@out=$$(for p in $(TRAP_PKGS); do GOOS=linux GOARCH=ppc64 $(GO) build -gcflags="$$p=-m -d=defer" ./kernel/ 2>&1; done \
	  | grep -E 'escapes to heap|moved to heap|stack-allocated defer|heap-allocated defer' \
	  | grep -vE '[A-Za-z.]+\([0-9]+\) escapes to heap' | sort -u); \
	  if [ -n "$$out" ]; then echo "trap-context code allocates or defers through the runtime:"; echo "$$out"; exit 1; fi; \
	  echo "trap context: no heap allocation, only open-coded defers ($(TRAP_PKGS))"

test-host:
	$(GO) test -race ./...

# The console (-v: kernel messages) and the tests' standard error go to a
# log, shown if the run fails, so that the output ends with the summary
# line.
test-kernel: runner
	@mkdir -p .build
	@echo "in-kernel suite on $(SMP) CPUs with a fresh 256 MiB disk (console log: .build/test-console.log)"
	@rm -f .build/test-disk.img
	@$(RUNNER) -v -smp $(SMP) -m $(MEM) -timeout $(TIMEOUT) -disk .build/test-disk.img -disk-size 256M -- test 2>.build/test-console.log \
	  || { echo "--- console:"; cat .build/test-console.log; exit 1; }
	@# The drivers' tests against misbehaving fake devices, run inside k42
	@# as well as on the host: the same code on the kernel's CPUs.
	@for p in ./kernel/dev/virtio ./kernel/dev/virtioblk; do \
	  echo "$$p in the kernel"; \
	  $(RUNNER) -smp 2 -m 1G -timeout $(TIMEOUT) -test $$p >.build/test-dev.log 2>&1 \
	    && tail -1 .build/test-dev.log || { cat .build/test-dev.log; exit 1; }; \
	done

# The paper's evaluation (benchmarks/paper: Table 1, Figures 4 to 7, the
# workloads beside Linux), then the in-kernel benchmarks and the boot
# time, as results records under benchmarks/results/; each regenerates
# benchmarks/RESULTS.md (and the paper's plots, benchmarks/figures/).
# bench-quick is the paper's evaluation with reduced workloads and one
# round: a few minutes on a 2-core machine. Linux's kernel is fetched
# with apt on the first run (root or sudo).
bench: qemu bench-paper
	$(GO) run ./benchmarks/kernel -smp $(SMP) -m $(MEM) -timeout $(TIMEOUT)
	$(GO) run ./benchmarks/boottime -smp $(SMP) -m $(MEM)

# The full evaluation's guests have 2 GiB: Postmark's second preset keeps
# some 10,000 files, and Linux's tmpfs on ppc64el gives each at least a
# 64 KiB page, some 700 MiB, more than half of 1 GiB (its default size).
bench-paper: qemu
	$(GO) run ./benchmarks/paper -smp $(SMP) -m 2G

bench-quick: qemu
	$(GO) run ./benchmarks/paper -quick -smp $(SMP) -m $(MEM)

# The syscall and file benchmarks on k42 and on Debian's ppc64el Linux
# (fetched once into .build/linux with apt: root or sudo), same -smp and
# -m, three boots each; writes benchmarks/results/{syscall,files}-DATE.jsonl,
# regenerates RESULTS.md.
bench-linux: qemu
	$(GO) run ./benchmarks/linux -smp $(SMP) -m $(MEM) -timeout $(TIMEOUT)
	$(GO) run ./benchmarks/linux -app ./benchmarks/files -smp $(SMP) -m $(MEM) -timeout $(TIMEOUT)

clean:
	rm -rf .build bin
