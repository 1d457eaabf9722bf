package runner

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// Tests of what a user of the runner binary sees: every documented exit
// status, arguments carried byte for byte, errors that name the user's
// input, and the console's handling of odd input. They run the binary
// the Makefile builds (bin/k42), built here from ./qemu.

var (
	binOnce sync.Once
	binPath string
	binErr  error
)

func runnerBinary(t *testing.T) string {
	t.Helper()
	kernelImage(t) // QEMU present, and the default image built once
	binOnce.Do(func() {
		root, err := ModuleRoot()
		if err != nil {
			binErr = err
			return
		}
		dir, err := os.MkdirTemp("", "k42-runner-test-")
		if err != nil {
			binErr = err
			return
		}
		binPath = filepath.Join(dir, "k42")
		out, err := exec.Command("go", "build", "-C", root, "-o", binPath, "./qemu").CombinedOutput()
		if err != nil {
			binErr = fmt.Errorf("building the runner: %v\n%s", err, out)
		}
	})
	require.NoError(t, binErr)
	return binPath
}

type runOut struct {
	status         int
	stdout, stderr string
}

// runK42 runs the runner binary with args (and stdin, if not empty).
func runK42(t *testing.T, stdin string, args ...string) runOut {
	t.Helper()
	cmd := exec.Command(runnerBinary(t), args...)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	if stdin != "" {
		cmd.Stdin = strings.NewReader(stdin)
	}
	err := cmd.Run()
	status := 0
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		status = ee.ExitCode()
	} else {
		require.NoError(t, err)
	}
	return runOut{status, out.String(), errb.String()}
}

// writeApp writes a one-file Go program into a fresh directory.
func writeApp(t *testing.T, name, src string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name+".go")
	require.NoError(t, os.WriteFile(p, []byte(src), 0o644))
	return p
}

const exitApp = `package main

import (
	"os"
	"syscall"
	"time"
)

func main() {
	switch os.Args[1] {
	case "exit":
		os.Exit(7)
	case "sigterm":
		syscall.Kill(os.Getpid(), syscall.SIGTERM)
		time.Sleep(10 * time.Second)
	case "sleep":
		time.Sleep(time.Hour)
	case "grow":
		var keep [][]byte
		for {
			b := make([]byte, 1<<20)
			for i := range b {
				b[i] = byte(i)
			}
			keep = append(keep, b)
		}
	case "recurse":
		recurse(0)
	}
}

func recurse(n int) int {
	var pad [512]byte
	pad[n%512] = byte(n)
	return recurse(n+1) + int(pad[7])
}
`

// TestEveryDocumentedStatus: the statuses the README documents, each
// observed through the runner binary.
func TestEveryDocumentedStatus(t *testing.T) {
	app := writeApp(t, "statuses", exitApp)
	for _, tc := range []struct {
		name   string
		args   []string
		status int
		want   string // in standard error
		never  string // never in standard error
	}{
		{"ok", []string{"--", "info"}, 0, "", ""},
		{"program", []string{"-app", app, "--", "exit"}, 7, "", ""},
		{"panic", []string{"--", "crash=panic"}, StatusPanic, "panic: crash=panic", ""},
		{"fault", []string{"--", "crash=fault"}, StatusFault, "disassembly around SRR0", ""},
		{"bootfail", []string{"--", "k42.bogus=1"}, StatusBootFail, "unknown kernel option k42.bogus=1", ""},
		{"signal", []string{"-app", app, "--", "sigterm"}, StatusSignal + int(syscall.SIGTERM), "", ""},
		{"oom", []string{"-m", "256M", "-app", app, "--", "grow"}, StatusOOMKilled, "k42: out of memory: killed the program", "r31"},
		{"oom-recursion", []string{"-m", "256M", "-app", app, "--", "recurse"}, StatusOOMKilled, "k42: out of memory", "unexpected exception"},
		{"timeout", []string{"-timeout", "5s", "-app", app, "--", "sleep"}, StatusTimeout, "timeout after 5s", ""},
		{"usage-smp", []string{"-smp", "0", "--", "info"}, StatusUsage, "-smp 0: the machine needs 1 to 64 CPUs", ""},
		{"usage-env", []string{"-env", "FOO", "--", "info"}, StatusUsage, `"FOO": want KEY=VALUE`, ""},
		{"usage-option", []string{"--", "k42.env.=x"}, StatusUsage, `kernel option "k42.env.=x"`, ""},
		{"usage-mem", []string{"-m", "100M", "--", "info"}, StatusUsage, "multiple of 256 MiB", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := runK42(t, "", tc.args...)
			require.Equal(t, tc.status, r.status, "stderr:\n%s", r.stderr)
			require.Contains(t, r.stderr, tc.want)
			if tc.never != "" {
				require.NotContains(t, r.stderr, tc.never)
			}
		})
	}
}

// TestNoStatusWhenQEMUDies: QEMU killed under the runner gives 125.
func TestNoStatusWhenQEMUDies(t *testing.T) {
	cmd := exec.Command(runnerBinary(t))
	var errb bytes.Buffer
	cmd.Stderr = &errb
	in, err := cmd.StdinPipe()
	require.NoError(t, err)
	out, err := cmd.StdoutPipe()
	require.NoError(t, err)
	require.NoError(t, cmd.Start())
	defer in.Close()
	buf := make([]byte, 64)
	_, err = out.Read(buf) // the console's greeting: QEMU runs
	require.NoError(t, err)
	// Kill the runner's children (QEMU): any of its threads may have
	// started them.
	tasks, err := filepath.Glob(fmt.Sprintf("/proc/%d/task/*/children", cmd.Process.Pid))
	require.NoError(t, err)
	killed := 0
	for _, task := range tasks {
		children, _ := os.ReadFile(task)
		for _, f := range strings.Fields(string(children)) {
			pid, _ := strconv.Atoi(f)
			if syscall.Kill(pid, syscall.SIGKILL) == nil {
				killed++
			}
		}
	}
	require.NotZero(t, killed, "no QEMU found under the runner")
	go func() {
		buf := make([]byte, 4096)
		for {
			if _, err := out.Read(buf); err != nil {
				return
			}
		}
	}()
	err = cmd.Wait()
	var ee *exec.ExitError
	require.ErrorAs(t, err, &ee)
	require.Equal(t, StatusNoReport, ee.ExitCode(), errb.String())
	require.Contains(t, errb.String(), "without a kernel exit status")
}

// argsApp prints its arguments and K42_TEST, hex-encoded (JSON would
// replace invalid UTF-8).
const argsApp = `package main

import (
	"encoding/hex"
	"encoding/json"
	"os"
)

func main() {
	var args []string
	for _, a := range os.Args {
		args = append(args, hex.EncodeToString([]byte(a)))
	}
	json.NewEncoder(os.Stdout).Encode(map[string]any{"args": args, "env": hex.EncodeToString([]byte(os.Getenv("K42_TEST")))})
}
`

// decodeArgs reads argsApp's output.
func decodeArgs(t *testing.T, out string) (args []string, env string) {
	t.Helper()
	var got struct {
		Args []string
		Env  string
	}
	require.NoError(t, json.Unmarshal([]byte(out), &got), out)
	for _, a := range got.Args {
		b, err := hex.DecodeString(a)
		require.NoError(t, err)
		args = append(args, string(b))
	}
	b, err := hex.DecodeString(got.Env)
	require.NoError(t, err)
	return args, string(b)
}

// tricky returns n words mixing blanks, both quote characters,
// backslashes, non-ASCII and control bytes.
func tricky(n int) []string {
	parts := []string{"plain", "two words", "tab\there", `it's "both"`, `back\slash`, "été ∑ 字", "\x01\x7f\xff", "", "k42x", "--", "-flag=v", "new\nline"}
	out := make([]string, n)
	for i := range out {
		out[i] = fmt.Sprintf("%s%d", parts[i%len(parts)], i)
	}
	return out
}

func TestArgumentsRoundTrip(t *testing.T) {
	app := writeApp(t, "args", argsApp)
	for _, n := range []int{64, 1000, 4096} {
		t.Run(strconv.Itoa(n), func(t *testing.T) {
			words := tricky(n)
			if n == 4096 {
				for i := range words { // 4096 arguments, 128 KiB in all
					words[i] += strings.Repeat("w", 32-len(words[i])%32)
				}
			}
			r := runK42(t, "", append([]string{"-env", "K42_TEST=a b'\"c\xff", "-app", app, "--"}, words...)...)
			require.Equal(t, 0, r.status, r.stderr)
			args, env := decodeArgs(t, r.stdout)
			require.Equal(t, append([]string{"args"}, words...), args)
			require.Equal(t, "a b'\"c\xff", env)
		})
	}
	t.Run("refused", func(t *testing.T) {
		// (A NUL cannot reach the runner through exec; CheckBootargs
		// refuses it for library callers.)
		r := runK42(t, "", append([]string{"-app", app, "--"}, make([]string, 9000)...)...)
		require.Equal(t, StatusUsage, r.status)
		require.Contains(t, r.stderr, "the kernel takes at most 8192")
	})
}

// TestRawCommandLine: the kernel's own splitting of a command line given
// with -append (as when QEMU is run by hand) never crashes the kernel.
func TestRawCommandLine(t *testing.T) {
	img, _ := buildApp(t, writeApp(t, "args", argsApp))
	run := func(line string) (Result, string, string) {
		var out, con bytes.Buffer
		res, err := Run(&Machine{Image: img, CPUs: 1, Memory: "512M", Timeout: time.Minute, CommandLine: line, Stdout: &out, Stderr: &con})
		require.NoError(t, err)
		return res, out.String(), con.String()
	}
	var words []string
	for i := range 100 {
		words = append(words, fmt.Sprintf("w%d", i))
	}
	res, out, con := run(strings.Join(words, " ") + ` 'q u' "it's" both'"'"'" es\ c`)
	require.Equal(t, 0, res.Status, con)
	args, _ := decodeArgs(t, out)
	require.Equal(t, append(append([]string{"k42"}, words...), "q u", "it's", `both"'`, "es c"), args)

	res, _, con = run(`unterminated "quote`)
	require.Equal(t, StatusBootFail, res.Status, con)
	require.Contains(t, con, "unterminated quote")
	res, _, con = run(strings.Repeat("x ", 3000))
	require.Equal(t, StatusBootFail, res.Status, con)
	require.Contains(t, con, "more than the 4096 the kernel reads")
}

// TestAppErrorsNameTheUsersFiles: diagnostics about an app name the
// user's own file, never the runner's staging.
func TestAppErrorsNameTheUsersFiles(t *testing.T) {
	dir := t.TempDir()
	write := func(rel, src string) string {
		p := filepath.Join(dir, rel)
		require.NoError(t, os.MkdirAll(filepath.Dir(p), 0o755))
		require.NoError(t, os.WriteFile(p, []byte(src), 0o644))
		return p
	}
	broken := write("broken/main.go", "package main\n\nfunc main() {\n\tundefinedThing()\n}\n")
	r := runK42(t, "", "-app", broken)
	require.Equal(t, StatusUsage, r.status)
	require.Contains(t, r.stderr, "broken/main.go:4:2: undefined: undefinedThing")
	require.NotContains(t, r.stderr, ".build")

	lib := write("lib/lib.go", "package lib\n\nfunc F() {}\n")
	r = runK42(t, "", "-app", filepath.Dir(lib))
	require.Equal(t, StatusUsage, r.status)
	require.Contains(t, r.stderr, "lib.go: package lib is not a main package")

	dep := write("third/main.go", "package main\n\nimport _ \"example.com/some/dep\"\n\nfunc main() {}\n")
	r = runK42(t, "", "-app", dep)
	require.Equal(t, StatusUsage, r.status)
	require.Contains(t, r.stderr, "third/main.go imports example.com/some/dep, which is not in the standard library")
	require.Contains(t, r.stderr, "must have a go.mod of its own")

	// An app with a go.mod of its own builds with its own dependencies
	// (here a local module through a replace directive).
	write("mod/go.mod", "module example.com/app\n\ngo 1.26.0\n\nrequire example.com/greet v0.0.0\n\nreplace example.com/greet => ../greet\n")
	write("greet/go.mod", "module example.com/greet\n\ngo 1.26.0\n")
	write("greet/greet.go", "package greet\n\nfunc Hello() string { return \"hello from a module\" }\n")
	write("mod/main.go", "package main\n\nimport (\n\t\"fmt\"\n\n\t\"example.com/greet\"\n)\n\nfunc main() { fmt.Println(greet.Hello()) }\n")
	r = runK42(t, "", "-app", filepath.Join(dir, "mod"))
	require.Equal(t, 0, r.status, r.stderr)
	require.Equal(t, "hello from a module\n", r.stdout)
}

// TestConsoleOddInput: over-long lines, 64 KiB without a newline, and a
// final halt through piped input.
func TestConsoleOddInput(t *testing.T) {
	in := strings.Repeat("a", 1500) + "\ninfo\n" + strings.Repeat("b", 70000) + "\nhalt 9\n"
	r := runK42(t, in)
	require.Equal(t, 9, r.status, r.stderr)
	require.Equal(t, 2, strings.Count(r.stdout, "k42: line too long"), r.stdout)
	require.Contains(t, r.stdout, `"timebase_hz":512000000`, "the line after a long one is a command")
}

const streamsApp = `package main

import (
	"fmt"
	"os"
)

func main() {
	fmt.Println("to stdout:", os.Args[0])
	fmt.Fprintln(os.Stderr, "to stderr:", os.Getenv("PATH"), os.Getenv("HOME"), os.Getenv("TMPDIR"), os.Getenv("K42_X"))
	os.Stdout.Close()
	os.Stderr.Close()
	os.Exit(3)
}
`

// TestProgramStreams: the runner's standard output and standard error
// carry exactly the program's fd 1 and fd 2; the console goes to the log
// (or to standard error with -v); the default environment and argv[0].
func TestProgramStreams(t *testing.T) {
	app := writeApp(t, "streams", streamsApp)
	log := filepath.Join(t.TempDir(), "console.log")
	r := runK42(t, "", "-log", log, "-env", "HOME=/home/k", "-env", "K42_X=1", "-app", app)
	require.Equal(t, 3, r.status)
	require.Equal(t, "to stdout: streams\n", r.stdout)
	require.Equal(t, "to stderr: /usr/local/bin:/usr/bin:/bin /home/k /tmp 1\n", r.stderr)
	con, err := os.ReadFile(log)
	require.NoError(t, err)
	require.Contains(t, string(con), "k42: 512 MiB, 1 CPUs")

	r = runK42(t, "", "-v", "-app", app)
	require.Equal(t, 3, r.status)
	require.Equal(t, "to stdout: streams\n", r.stdout)
	require.Contains(t, r.stderr, "k42: 512 MiB, 1 CPUs")
	require.Contains(t, r.stderr, "to stderr: /usr/local/bin:/usr/bin:/bin /root /tmp \n")

	r = runK42(t, "", "-v", "-log", log, "-app", app)
	require.Equal(t, StatusUsage, r.status)
	require.Equal(t, "k42 runner: -v and -log are exclusive\n", r.stderr)
}

// TestFilesBeforeTheFileSystem: a package initialiser that runs before
// the file system's servers (its package sorts, and initialises, before
// k42/fs/rootfs) still reads a file the runner shipped, from the initial
// RAM archive, relative to k42.cwd; after that the file system has it.
func TestFilesBeforeTheFileSystem(t *testing.T) {
	dir := t.TempDir()
	write := func(rel, src string) {
		p := filepath.Join(dir, rel)
		require.NoError(t, os.MkdirAll(filepath.Dir(p), 0o755))
		require.NoError(t, os.WriteFile(p, []byte(src), 0o644))
	}
	write("go.mod", "module aaa.example/early\n\ngo 1.26.0\n")
	write("data/in.txt", "shipped before the servers\n")
	write("first/first.go", `package first

import (
	"io"
	"os"
)

var Got, Err = read()

func read() (string, error) {
	f, err := os.Open("../data/in.txt") // relative to k42.cwd
	if err != nil {
		return "", err
	}
	defer f.Close()
	if _, err := f.Seek(8, io.SeekStart); err != nil {
		return "", err
	}
	b, err := io.ReadAll(f)
	return string(b), err
}
`)
	write("main.go", `package main

import (
	"fmt"
	"os"

	"aaa.example/early/first"
)

func main() {
	fmt.Printf("%q %v\n", first.Got, first.Err)
	b, err := os.ReadFile("/work/in.txt")
	fmt.Printf("%q %v\n", b, err)
}
`)
	r := runK42(t, "", "-fs", filepath.Join(dir, "data", "in.txt")+":/work/in.txt", "-fs", filepath.Join(dir, "data")+":/srv/data", "-app", dir, "--", "k42.cwd=/srv/bin")
	require.Equal(t, StatusBootFail, r.status, "k42.cwd must exist: %s", r.stderr)
	r = runK42(t, "", "-fs", filepath.Join(dir, "data", "in.txt")+":/work/in.txt", "-fs", filepath.Join(dir, "data")+":/srv/data", "-fs", filepath.Join(dir, "first")+":/srv/first", "-app", dir, "--", "k42.cwd=/srv/first")
	require.Equal(t, 0, r.status, r.stderr)
	require.Equal(t, "\"before the servers\\n\" <nil>\n\"shipped before the servers\\n\" <nil>\n", r.stdout)
}

// TestPageCacheFromBootArguments: the page cache's options reach the
// kernel from the runner: a file four times a 1 MiB budget is written and
// read back intact through the system calls, the cache evicting and
// reloading it (its counters through /proc/k42/pagecache), with the FCM
// the option chose; a bad size stops the boot naming the option.
func TestPageCacheFromBootArguments(t *testing.T) {
	app := writeApp(t, "cache", `package main

import (
	"bytes"
	"fmt"
	"os"
	"strings"
)

func main() {
	data := bytes.Repeat([]byte("k42 page cache "), 4<<20/15)
	if err := os.WriteFile("/tmp/big", data, 0o644); err != nil {
		panic(err)
	}
	got, err := os.ReadFile("/tmp/big")
	if err != nil || !bytes.Equal(got, data) {
		fmt.Println("read back wrong:", len(got), err)
		os.Exit(1)
	}
	st, _ := os.ReadFile("/proc/k42/pagecache")
	for _, l := range strings.Split(string(st), "\n") {
		if f := strings.Fields(l); len(f) >= 2 && (f[0] == "factory" || f[0] == "budget" || f[0] == "evictions" && f[1] != "0") {
			fmt.Println(f[0], f[1])
		}
	}
}
`)
	r := runK42(t, "", "-app", app, "--", "k42.pagecache=1M", "k42.fcm=sequential")
	require.Equal(t, 0, r.status, r.stderr)
	require.Regexp(t, `^factory sequential\nbudget 256\nevictions [1-9][0-9]*\n$`, r.stdout)
	r = runK42(t, "", "-app", app, "--", "k42.pagecache=lots")
	require.Equal(t, StatusBootFail, r.status)
	require.Contains(t, r.stderr, `k42.pagecache="lots": want a size such as 64M, 1G or 25%`)
	// With a disk the store is on it: 4 MiB through a 1 MiB cache went
	// to the disk and came back.
	img := filepath.Join(t.TempDir(), "store.img")
	r = runK42(t, "", "-disk", img, "-disk-size", "32M", "-app", app, "--", "k42.pagecache=1M")
	require.Equal(t, 0, r.status, r.stderr)
	require.Regexp(t, `^factory single\nbudget 256\nevictions [1-9][0-9]*\n$`, r.stdout)
	r = runK42(t, "", "-app", app, "--", "k42.store=disk")
	require.Equal(t, StatusBootFail, r.status)
	require.Contains(t, r.stderr, "k42.store=disk: no disk is attached")
	r = runK42(t, "", "-app", app, "--", "k42.store=tape")
	require.Equal(t, StatusBootFail, r.status)
	require.Contains(t, r.stderr, "k42.store=tape: want disk or memory")
}
