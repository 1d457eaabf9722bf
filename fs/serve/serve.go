// Package serve owns the file system's server threads: K42's servers, in
// ordinary Go. Each server is a goroutine locked to its own thread that
// waits in the kernel (k42_serve) for a forwarded system call, serves it
// against the file system and answers, which hands the result back to
// the caller (kernel/serve_ppc64.go has the trap layer's half). The
// server holds the process's file-system state: the open file
// descriptions behind the trap layer's descriptors (by handle) and the
// current directory.
//
// Every served call is a request in its CPU's generation (the system
// table's domain), and reaches the file system only through translation
// table entries: the namespace (the object "fs") and, for calls on an
// open file, that file's server object ("file:PATH", alive while the
// file is open). So a swap of any of them waits exactly for the calls
// inside it, and the console's wrappers see every call.
//
// Execution context: ordinary Go, in server goroutines (after boot). The
// caller's buffers are the caller's own memory, which the trap layer has
// checked and faulted in before forwarding; the server reads and writes
// them in place (user_unsafe.go).
package serve

import (
	"context"
	"fmt"
	"runtime"
	"runtime/debug"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"syscall"

	"k42/fs"
	"k42/kernel"
	"k42/kernel/linux"
	"k42/reconfig"
	"k42/reconfig/adapt"
	"k42/reconfig/generation"
)

// MaxServers bounds the pool (the trap layer's limit).
const MaxServers = 64

// maxHandles is the trap layer's limit of descriptions.
const maxHandles = 4096

// Kernel is the trap layer's end of the hand-off as a server sees it:
// on the kernel, SysKernel (the k42_serve call); tests drive dispatch
// directly.
type Kernel interface {
	// Register makes the calling thread a server whose requests arrive in
	// rq, and waits for the first.
	Register(rq *kernel.ServeRequest) error
	// Reply answers the request held with result r and handle h, and
	// waits for the next.
	Reply(r int64, h int32) error
	// Wait waits for the next request. Register, Reply and Wait return
	// syscall.EINTR when a signal for the server's thread ended the wait
	// with no request; the server then waits again.
	Wait() error
	// Fifo attaches the open being served (with flags) to the pipe of
	// the FIFO ino and returns the pipe, which the answer names in the
	// request's Pipe.
	Fifo(ino uint64, flags int) (int32, error)
}

// Server serves forwarded calls against one file system.
type Server struct {
	k    Kernel
	fsys *fs.FS
	tab  *reconfig.Table
	dom  *generation.Domain
	ns   reconfig.Ref[Namespace]
	nsE  *reconfig.Entry[Namespace]

	mu      sync.Mutex // guards free, files, idle, and the allocation of handles
	handles [maxHandles]atomic.Pointer[openFile]
	free    []int32
	next    int32
	files   map[*fs.Node]*fileObj
	// idle are the server objects of files open nowhere, oldest first
	// (see keepIdleLocked); an entry whose object has been opened again
	// since it went idle (its idleSeq moved on) is skipped.
	idle     []idleObj
	nIdle    int    // objects in files with no opens
	idleSeqs uint64 // the last idleSeq given

	cwd atomic.Pointer[fs.Node] // nil: the root

	running atomic.Int32
	sync    atomic.Pointer[func() error]

	// Sessions (session.go, sessions.go).
	held     atomic.Int64 // client slots in use: path calls settle their files while any are
	policies *adapt.Registry
	sessions *adapt.Policy // "sessions": exclusive and small-file sessions, and their swaps
	sharing  *adapt.Policy // "sharing": single FCM to replicated when threads share a file
}

// OnSync sets what sync(2) does: write every file back and make the file
// system durable (fs/rootfs: the FCMs' write-back and the disk's commit).
// Without it, sync does nothing, as on a file system in memory.
func (s *Server) OnSync(f func() error) { s.sync.Store(&f) }

// request is a server thread's request, as the kernel fills it, and the
// thread's scratch space for serving it: what a served call hands to a
// component through an interface escapes, and would otherwise be
// allocated on every call.
type request struct {
	kernel.ServeRequest
	st  fs.Stat // for fstat
	buf []byte  // for sendfile, made on the thread's first
	// recall is the file an open found open already: its client-side
	// sessions are swapped to shared after the open's request ends and
	// before it is answered.
	recall *fileObj
}

// openFile is an open file description behind a handle, and its
// session.
type openFile struct {
	f     *fs.File
	obj   *fileObj
	h     int32
	sessE *reconfig.Entry[Session]
	sess  reconfig.Ref[Session]
	pin   atomic.Pointer[string] // the session implementation it is pinned to
	tid   int32                  // the thread that opened it
	// watched: the sharing policy's monitor is on the session (guarded
	// by Server.mu; see watchLocked).
	watched bool
}

// fileObj is a file's server object and its open descriptions. It is
// made by the file's first open and outlives its last close, idle, so
// that the next open of the file does not make it again: the server
// keeps the maxIdleFiles most recently closed (K42's server file objects
// live while their file is cached, not only while it is open).
type fileObj struct {
	e     *reconfig.Entry[FileServer]
	ref   reconfig.Ref[FileServer]
	path  string      // the path of its last open, which its entry's name says (fileObjName)
	opens []*openFile // guarded by Server.mu
	// idleSeq is the place in Server.idle of its last close (guarded by
	// Server.mu); 0 while it is open.
	idleSeq uint64
	// watch is the sharing policy's monitor of the file (sessions.go).
	watch *sharingMonitor
	// swapMu orders the swaps of the file's sessions: a second open's
	// recall and the policy's swaps back, so that no swap to a client-side
	// session completes while another description is open.
	swapMu sync.Mutex
}

// New makes a server over fsys, answering the kernel k, whose
// components live in table t: it registers the namespace as the object
// "fs".
func New(k Kernel, fsys *fs.FS, t *reconfig.Table) (*Server, error) {
	e, err := reconfig.Create[Namespace](t, "fs", NamespaceInterface, tree{fsys})
	if err != nil {
		return nil, err
	}
	s := &Server{k: k, fsys: fsys, tab: t, dom: t.Domain(), ns: e.Ref(), nsE: e, files: make(map[*fs.Node]*fileObj)}
	s.SetPolicies(adapt.NewRegistry())
	fsys.OnGone(s.gone)
	return s, nil
}

// gone forgets the idle server object of node, whose file is gone (its
// last name unlinked after its last close): no open can find it again.
func (s *Server) gone(node *fs.Node) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if obj := s.files[node]; obj != nil && obj.idleSeq != 0 {
		if n := len(s.idle); n > 0 && s.idle[n-1].obj == obj {
			// Closed last, as a file deleted after its close usually is.
			s.idle[n-1] = idleObj{}
			s.idle = s.idle[:n-1]
		}
		s.destroyIdleLocked(node, obj)
	}
}

// destroyIdleLocked destroys idle obj, node's, and forgets it. s.mu is
// held.
func (s *Server) destroyIdleLocked(node *fs.Node, obj *fileObj) {
	obj.idleSeq = 0
	s.nIdle--
	delete(s.files, node)
	obj.e.DestroySoon()
}

// FS returns the server's file system.
func (s *Server) FS() *fs.FS { return s.fsys }

// Namespace returns the namespace's translation-table entry.
func (s *Server) Namespace() *reconfig.Entry[Namespace] { return s.nsE }

// Start starts n server threads; the pool grows by itself, up to
// MaxServers, whenever every server is busy.
func (s *Server) Start(n int) {
	for range n {
		s.spawn()
	}
}

func (s *Server) spawn() bool {
	if s.running.Add(1) > MaxServers {
		s.running.Add(-1)
		return false
	}
	started := make(chan struct{})
	go s.loop(started)
	<-started
	return true
}

// bg is the context of every served call (the mediator marks its own
// copies).
var bg = context.Background()

// loop is one server thread.
func (s *Server) loop(started chan<- struct{}) {
	runtime.LockOSThread()
	debug.SetPanicOnFault(true) // a bad caller buffer is EFAULT, not a crash
	rq := new(request)
	close(started)
	// waited returns whether a wait brought a request, waiting again
	// after a signal.
	waited := func(err error) bool {
		for err == syscall.EINTR {
			err = s.k.Wait()
		}
		if err != nil {
			s.running.Add(-1)
			fmt.Printf("k42: file-system server: %v\n", err)
			return false
		}
		return true
	}
	if !waited(s.k.Register(&rq.ServeRequest)) {
		return
	}
	for {
		if rq.More {
			s.spawn()
		}
		r, h := s.serveOne(rq)
		if !waited(s.k.Reply(r, h)) {
			return
		}
	}
}

// serveOne serves one request as a request of the CPU it was made on,
// except a write to a control file (fs.Reconfigurer), which may swap
// components and so waits for requests to end: it is served outside
// any (its calls through the file's own server object are then not
// waited for by that object's swaps, the one object that is not).
func (s *Server) serveOne(rq *request) (r int64, h int32) {
	if s.reconfigures(rq) {
		defer func() {
			if p := recover(); p != nil {
				r, h = -int64(efault), 0
			}
		}()
		return s.dispatch(rq)
	}
	r, h = s.inRequest(rq)
	if rq.recall != nil {
		r = s.recallAll(rq, r, h)
	}
	return r, h
}

// inRequest serves rq as a request of its CPU.
func (s *Server) inRequest(rq *request) (r int64, h int32) {
	req := s.dom.Enter()
	defer func() {
		if p := recover(); p != nil {
			r, h = -int64(efault), 0 // a fault on the caller's memory, from SetPanicOnFault
			if _, ok := p.(runtime.Error); !ok {
				r = -int64(eio)
				fmt.Printf("k42: file-system server: panic serving call %d: %v\n", rq.Nr, p)
			}
		}
		req.End()
	}()
	return s.dispatch(rq)
}

// reconfigures reports whether rq is a write to a control file.
func (s *Server) reconfigures(rq *request) bool {
	switch rq.Nr {
	case linux.SYS_WRITE, linux.SYS_PWRITE64, linux.SYS_WRITEV:
	default:
		return false
	}
	o := s.handle(rq.Handle[0])
	if o == nil {
		return false
	}
	_, ok := o.f.Device().(fs.Reconfigurer)
	return ok
}

// newHandle gives f a handle and its session, and counts it in its
// file's server object, making that object (named after path) on the
// file's first open. If the file was open already it returns its object:
// the caller swaps the file's client-side sessions to shared before the
// open returns (recallAll).
func (s *Server) newHandle(f *fs.File, path string, tid int32) (int32, *fileObj, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	node := f.Node()
	obj := s.files[node]
	if obj == nil {
		e, err := reconfig.Create[FileServer](s.tab, fileObjName(path, node), FileServerInterface, opened{})
		if err != nil {
			return 0, nil, err
		}
		obj = &fileObj{e: e, ref: e.Ref(), path: path}
		s.files[node] = obj
	} else if obj.idleSeq != 0 {
		obj.idleSeq = 0
		s.nIdle--
		// Opened again under another name (renamed, or another link):
		// the listing says where it is now.
		if obj.path != path && s.tab.Rename(fileObjName(obj.path, node), fileObjName(path, node)) == nil {
			obj.path = path
		}
	}
	var h int32
	if n := len(s.free); n > 0 {
		h = s.free[n-1]
	} else if s.next < maxHandles {
		h = s.next
	} else {
		s.dropObjLocked(node, obj)
		return 0, nil, errNFILE
	}
	o := &openFile{f: f, obj: obj, h: h, tid: tid}
	impl := s.sessionFor(o)
	name := "session:" + path + "#" + strconv.FormatUint(node.Ino(), 10) + "/" + strconv.Itoa(int(h))
	e, err := reconfig.Create[Session](s.tab, name, SessionInterface, s.newSession(o, impl))
	if err != nil {
		s.dropObjLocked(node, obj)
		return 0, nil, err
	}
	if n := len(s.free); n > 0 {
		s.free = s.free[:n-1]
	} else {
		s.next++
	}
	o.sessE, o.sess = e, e.Ref()
	if impl == SessionShared {
		s.watchLocked(obj, o)
	}
	var recall *fileObj
	if len(obj.opens) > 0 {
		recall = obj
	}
	obj.opens = append(obj.opens, o)
	s.handles[h].Store(o)
	return h, recall, nil
}

// fileObjName is the table's name of node's server object opened by path.
func fileObjName(path string, node *fs.Node) string {
	return "file:" + path + "#" + strconv.FormatUint(node.Ino(), 10)
}

// dropObjLocked keeps obj idle if no description has it open (an open
// that failed). s.mu is held.
func (s *Server) dropObjLocked(node *fs.Node, obj *fileObj) {
	if len(obj.opens) == 0 && obj.idleSeq == 0 {
		s.keepIdleLocked(node, obj)
	}
}

// maxIdleFiles is how many server objects of files open nowhere the
// server keeps for their next open.
const maxIdleFiles = 4096

// idleObj is one place in Server.idle.
type idleObj struct {
	node *fs.Node
	obj  *fileObj
	seq  uint64
}

// keepIdleLocked keeps obj, whose file has just been closed everywhere,
// for its next open, and destroys the oldest idle objects beyond
// maxIdleFiles; an object whose file is gone (unlinked before this close)
// is destroyed at once, and one whose file goes while it is idle when it
// goes (Server.gone). s.mu is held.
func (s *Server) keepIdleLocked(node *fs.Node, obj *fileObj) {
	if node.Gone() {
		delete(s.files, node)
		obj.e.DestroySoon()
		return
	}
	s.idleSeqs++
	obj.idleSeq = s.idleSeqs
	s.idle = append(s.idle, idleObj{node, obj, obj.idleSeq})
	s.nIdle++
	for len(s.idle) > 0 && (s.nIdle > maxIdleFiles || len(s.idle) > 2*maxIdleFiles) {
		s.dropOldestIdleLocked()
	}
}

// dropOldestIdleLocked destroys the oldest idle object, or forgets the
// oldest place in Server.idle if its object was opened since. s.mu is
// held.
func (s *Server) dropOldestIdleLocked() {
	in := s.idle[0]
	s.idle[0] = idleObj{}
	s.idle = s.idle[1:]
	if in.obj.idleSeq != in.seq {
		return // opened again since (and maybe idle again, later in the list)
	}
	s.destroyIdleLocked(in.node, in.obj)
}

// handle returns the open file description behind h.
func (s *Server) handle(h int32) *openFile {
	if h < 0 || h >= maxHandles {
		return nil
	}
	return s.handles[h].Load()
}

// release closes the description behind h: its session ends (giving the
// client-side state back), and the file's server object goes idle with
// its last open.
func (s *Server) release(h int32) error {
	o := s.handle(h)
	if o == nil {
		return errBADF
	}
	err := o.sess.Get().End(bg)
	if cerr := o.f.Close(); err == nil {
		err = cerr
	}
	s.mu.Lock()
	s.handles[h].Store(nil)
	s.free = append(s.free, h)
	obj := o.obj
	if i := slices.Index(obj.opens, o); i >= 0 {
		obj.opens = slices.Delete(obj.opens, i, i+1)
	}
	// Out of the table now, destroyed once quiescent: calls still in them
	// finish. (DestroySoon: this is a request, and Destroy would wait for
	// a swap of the object, which waits for this request.)
	o.sessE.DestroySoon()
	var alone *openFile
	if len(obj.opens) == 0 {
		s.keepIdleLocked(o.f.Node(), obj)
	} else if len(obj.opens) == 1 {
		alone = obj.opens[0]
	}
	s.mu.Unlock()
	if alone != nil {
		s.alone(alone)
	}
	return err
}

// Chdir sets the current directory (the kernel option k42.cwd).
func (s *Server) Chdir(path string) error {
	n, err := s.fsys.Lookup(s.cwd.Load(), path, 0)
	if err != nil {
		return err
	}
	if !n.IsDir() {
		return syscall.ENOTDIR
	}
	s.cwd.Store(n)
	return nil
}
