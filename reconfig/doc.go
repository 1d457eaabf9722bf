// Package reconfig is the online-reconfiguration core of the K42 paper
// (§3, §4): object translation tables, the generic interposer, the
// hot-swap mediator and state-transfer negotiation. It knows nothing of
// files or memory; mm/ and fs/ build on it. It is plain portable Go: the
// same code is tested on the host with -race and runs in the kernel.
//
// # Packages
//
//   - reconfig (this package): translation tables and entries, typed
//     references, the generic interposer and wrappers' view of a call,
//     attach and detach, the mediator (Swap), state-transfer negotiation.
//   - reconfig/generation: requests and per-CPU thread generations; the
//     quiescent states everything here waits for.
//   - reconfig/platform: the machine as the core sees it (CPU number, CPU
//     count, clock), served by the host or by the kernel.
//   - reconfig/wrappers: generic wrappers operators attach: call counter,
//     in-flight counter, latency profiler, tracer.
//   - reconfig/percpu: per-CPU counter rows padded to cache-line pairs.
//   - reconfig/cmd/genwrap: the generator of per-interface dispatchers.
//   - reconfig/testcomp: components and the stress workload used by the
//     tests, the benchmarks and, later, the kernel's test suite.
//
// # Components and references
//
// A component's interface is a Go interface; an implementation is any type
// that implements it. Each instance lives behind an Entry of a Table; the
// table names entries for operators (Table.Object, Table.List, Lookup).
// Clients hold a Ref[I], a typed reference to the entry, and call
// r.Get().Method(...): one load of the entry per call, dependency-ordered
// and without a barrier on ppc64 (see Ref.Get for why that suffices; the
// package reconfig/internal/order owns the fast paths' orderings). Interposing
// and swapping change what the entry points at, never the clients.
// Destroy is deferred until quiescent.
//
// Every call must be made inside a request (generation.Domain.Enter, Do
// or Go): quiescence is defined over requests, so a call outside one is
// not waited for by swaps, detaches and destruction. Reconfiguring
// operations (Swap, NullSwap, Detach, Destroy) must not be called from
// inside a request: they wait for quiescence, which would wait for them.
//
// # Interposition and what go generate produces
//
// A Wrapper is an ordinary Go value with PreCall and PostCall. Attach
// puts it in front of every method of an object (or of the methods
// named); Detach removes it. Neither blocks a caller: each builds a new,
// immutable Interposer and publishes it in the entry with one store, and a
// detached interposer is reclaimed once the generation mechanism says no
// call can still be in it (Attachment.Reclaimed). Several wrappers stack,
// the first attached innermost.
//
// Go cannot overload a virtual function table as K42's interposer does, so
// the per-interface half of the interposer is generated. Running
//
//	go generate ./reconfig/...
//
// runs reconfig/cmd/genwrap on the interfaces listed in each package's
// //go:generate line (for the tests: testcomp's interposer_gen.go, which
// is checked in). For an interface T it writes a TInterface descriptor
// (name and methods, passed to Create), a dispatcher type implementing T
// whose methods all follow the same pattern (record the arguments in a
// frame on the stack, let the Interposer run PreCall or route the call,
// forward it, run PostCall), and a frame type per method through which a
// wrapper reads and changes arguments and results. All logic is here, in
// Interposer; the generated code has none of its own. An interposed call
// allocates nothing: its Call and frame live on the dispatcher's stack,
// which is why a wrapper must not keep the *Call after PostCall.
//
// # Hot swapping and state transfer
//
// Entry.Swap (and NullSwap) replace the component through the mediator's
// forward, block and transfer phases; see mediator.go for the phases, how
// recursion is recognised (a context.Context first parameter carrying the
// mediator's mark) and how call cycles through new requests are broken
// (timeout, retry, SwapError). State moves by the highest protocol common
// to the old component's export vector and the new one's import vector
// (Transferer, Negotiate); protocol 0 is each family's canonical format.
// A failed transfer leaves the old component in place, serving every call.
package reconfig
