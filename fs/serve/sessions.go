package serve

import (
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"k42/fs"
	"k42/fs/serve/client"
	"k42/kernel/linux"
	"k42/reconfig"
	"k42/reconfig/adapt"
)

// The sessions' life and the policies that swap them.
//
// An open gets a client-side session (small-file if the file is no
// larger than the sessions policy's smallfile parameter, exclusive
// otherwise) when it is the file's only open description, and a shared
// one otherwise. A second open of a file swaps every client-side session
// of the file to shared after its own request ends and before it returns
// (recallAll): that swap is the protocol that keeps two clients coherent,
// not a choice, and pins do not stop it. When a file's other descriptions
// close, the sessions policy swaps the one left back to a client-side
// session (alone), and a small-file session whose file grew past the
// threshold to exclusive (outgrown); those are decisions, in the policy
// log.
//
// The sharing policy watches the calls that reach a file's sessions (a
// wrapper on each session's entry) and swaps the file's FCM from single
// to replicated when more than one thread uses the file within its window
// (a thread that moves between CPUs is one thread), and back after a
// quiet period.

// Policies' names and parameters.
const (
	PolicySessions = "sessions"
	PolicySharing  = "sharing"
)

// SetPolicies registers the server's policies (sessions, sharing) in r,
// whose log and worker they use; New registers them in a registry of
// their own.
func (s *Server) SetPolicies(r *adapt.Registry) {
	s.policies = r
	s.sessions = r.Register(PolicySessions, "exclusive and small-file client-side sessions for files open once; swapped to shared by a second open, back when it closes",
		adapt.ParamSpec{Name: "smallfile", Doc: "files up to this many bytes get the small-file cache (0: none)", Default: 4096},
		adapt.ParamSpec{Name: "window", Doc: "bytes of an exclusive session's client-side window", Default: 4096})
	s.sharing = r.Register(PolicySharing, "a file's FCM goes from single to replicated when more than one thread uses it within the window, back after the quiet period",
		adapt.ParamSpec{Name: "threads", Doc: "threads within the window that make a file shared", Default: 2},
		adapt.ParamSpec{Name: "window", Doc: "how close together the threads' calls must be", Default: 10 * time.Millisecond},
		adapt.ParamSpec{Name: "quiet", Doc: "how long a replicated FCM must see one thread before it goes back to single", Default: time.Second})
}

// Policies returns the registry the server's policies are in.
func (s *Server) Policies() *adapt.Registry { return s.policies }

// sessionFor chooses the session a new description o starts with. s.mu
// is held.
func (s *Server) sessionFor(o *openFile) string {
	f := o.f
	switch {
	case !s.sessions.On(),
		f.Node().Type() != fs.S_IFREG,
		f.Flags()&(syscall.O_SYNC|syscall.O_DSYNC|syscall.O_DIRECT|linux.O_PATH) != 0,
		len(o.obj.opens) > 0:
		return SessionShared
	}
	// The small-file cache is for small files that are read: it reads
	// the whole file in at the open, and a file that grows past the
	// threshold costs a swap out. So an open for writing of an empty file
	// (one just made, or truncated) or for appending, which is about to
	// grow it, gets the exclusive session, whose window writes behind.
	acc := f.Flags() & syscall.O_ACCMODE
	size := f.Node().Stat().Size
	growing := acc != syscall.O_RDONLY && (size == 0 || f.Flags()&syscall.O_APPEND != 0)
	if limit := s.sessions.Param("smallfile").Get(); limit > 0 && acc != syscall.O_WRONLY && !growing && size <= limit {
		return SessionSmallFile
	}
	return SessionExclusive
}

// newSession makes a session of o in implementation impl.
func (s *Server) newSession(o *openFile, impl string) Session {
	b := sessionBase{f: o.f, srv: o.obj.ref, h: o.h, s: s}
	switch impl {
	case SessionExclusive:
		return &exclusive{windowed{sessionBase: b, size: int(max(s.sessions.Param("window").Get(), 512))}}
	case SessionSmallFile:
		return &smallFile{windowed{sessionBase: b, size: int(max(s.sessions.Param("smallfile").Get(), 1)), fixed: true}}
	}
	return &shared{b}
}

// sessionImpl names a session's implementation.
func sessionImpl(x Session) string {
	switch x.(type) {
	case *exclusive:
		return SessionExclusive
	case *smallFile:
		return SessionSmallFile
	case *shared:
		return SessionShared
	}
	return fmt.Sprintf("%T", x)
}

// clearSlot ends the client side of handle h's session.
func (s *Server) clearSlot(h int32) {
	if client.State(h) != client.Free {
		s.held.Add(-1)
	}
	client.Clear(h)
}

// recallAll swaps the sessions an open found holding its file on the
// client side to shared, after the open's request and before its answer
// (r, h). If the open is another thread's than theirs and the sharing
// policy is on, the file's FCM goes from single to replicated in the same
// coordinated swap: the sessions' data is handed to the FCM that will
// serve both threads, and callers see both changes or neither. If the
// swap fails the open fails (EBUSY), with its description released, and
// the sessions and FCM stay as they were.
func (s *Server) recallAll(rq *request, r int64, h int32) int64 {
	obj := rq.recall
	rq.recall = nil
	if r < 0 {
		return r
	}
	obj.swapMu.Lock()
	defer obj.swapMu.Unlock()
	s.mu.Lock()
	var recall []*openFile
	for _, o := range obj.opens {
		if o.h != h && sessionImpl(o.sessE.Component()) != SessionShared {
			recall = append(recall, o)
		}
	}
	s.mu.Unlock()
	if len(recall) == 0 {
		return r
	}
	var changes []reconfig.Change
	var froms []string
	threads := false
	for _, o := range recall {
		froms = append(froms, sessionImpl(o.sessE.Component()))
		changes = append(changes, o.sessE.To(s.newSession(o, SessionShared)))
		threads = threads || o.tid != rq.TID
	}
	// The FCM goes after the sessions: their transfers write the data
	// they hold through it (see reconfig.SwapTogether).
	fcmFrom := ""
	if threads && s.sharing.On() {
		if d, ok := recall[0].f.Node().Data().(fcmFile); ok {
			if c, err := d.ChangeTo("replicated"); err == nil && c != nil {
				fcmFrom = d.Impl()
				changes = append(changes, c)
			}
		}
	}
	rep, err := reconfig.SwapTogether(reconfig.SwapOptions{}, changes...)
	for try := 0; errors.Is(err, reconfig.ErrBusy) && try < 100; try++ {
		// A policy is swapping the FCM just now: the sessions' change
		// cannot wait for it, the FCM's can (its policy decides again).
		if fcmFrom != "" {
			changes, fcmFrom = changes[:len(recall)], ""
		} else {
			time.Sleep(100 * time.Microsecond)
		}
		rep, err = reconfig.SwapTogether(reconfig.SwapOptions{}, changes...)
	}

	for i, o := range recall {
		s.sessions.Record(o.sessE.Name(), froms[i], SessionShared, "a second open of the file", rep.Total, err)
	}
	if err == nil {
		s.mu.Lock()
		for _, o := range recall {
			s.watchLocked(obj, o)
		}
		s.mu.Unlock()
	}
	if fcmFrom != "" {
		s.sharing.Record(obj.e.Name(), fcmFrom, "replicated", "a second open of the file by another thread, with its sessions", rep.Total, err)
		if err == nil && obj.watch != nil {
			obj.watch.replicated()
		}
	}
	if err != nil && !errors.Is(err, reconfig.ErrDestroyed) {
		fmt.Printf("k42: file-system server: a second open of %s could not make its sessions shared: %v\n", recall[0].f.Name(), err)
		s.release(h)
		return -int64(linux.EBUSY)
	}
	return r
}

// swapTo swaps o's session to impl unless it is already one; it returns
// the implementation it had.
func (s *Server) swapTo(o *openFile, impl string) (string, error) {
	from := sessionImpl(o.sessE.Component())
	if from == impl {
		return from, nil
	}
	_, err := o.sessE.Swap(s.newSession(o, impl), reconfig.SwapOptions{})
	if err == nil && impl == SessionShared {
		s.mu.Lock()
		s.watchLocked(o.obj, o)
		s.mu.Unlock()
	}
	return from, err
}

// alone asks the sessions policy to give o, now its file's only open
// description, a client-side session again.
func (s *Server) alone(o *openFile) {
	s.sessions.Decide(o.sessE.Name(), "the file's other opens closed", func() (string, string, error) {
		o.obj.swapMu.Lock()
		defer o.obj.swapMu.Unlock()
		s.mu.Lock()
		impl := ""
		if len(o.obj.opens) == 1 && o.obj.opens[0] == o {
			impl = s.sessionFor(&openFile{f: o.f, obj: &fileObj{}})
		}
		s.mu.Unlock()
		if p := o.pin.Load(); p != nil && impl != "" {
			impl = *p
		}
		if impl == "" {
			from := sessionImpl(o.sessE.Component())
			return from, from, nil
		}
		from, err := s.swapTo(o, impl)
		return from, impl, err
	})
}

// outgrown asks the sessions policy to swap handle h's small-file session,
// whose file grew past the threshold, to exclusive.
func (s *Server) outgrown(h int32) {
	o := s.handle(h)
	if o == nil {
		return
	}
	s.sessions.Decide(o.sessE.Name(), "the file grew past the small-file threshold", func() (string, string, error) {
		o.obj.swapMu.Lock()
		defer o.obj.swapMu.Unlock()
		impl := SessionExclusive
		if p := o.pin.Load(); p != nil {
			impl = *p
		}
		s.mu.Lock()
		if len(o.obj.opens) > 1 {
			impl = SessionShared
		}
		s.mu.Unlock()
		from, err := s.swapTo(o, impl)
		return from, impl, err
	})
}

// settleNode gives what client-side sessions of n hold back to the file,
// before a call by path that reads or changes what they hold (stat,
// truncate, utimensat). Nothing to do, and no lookup made, while no
// client slot is in use.
func (s *Server) settleNode(n *fs.Node) {
	if n == nil || s.held.Load() == 0 {
		return
	}
	s.mu.Lock()
	obj := s.files[n]
	var opens []*openFile
	if obj != nil {
		opens = append(opens, obj.opens...)
	}
	s.mu.Unlock()
	for _, o := range opens {
		settleOne(o)
	}
}

// settlePath is settleNode for the file at path p from d.
func (s *Server) settlePath(d *fs.Node, p string, flags int) {
	if s.held.Load() == 0 {
		return
	}
	if n, err := s.ns.Get().Lookup(bg, d, p, flags); err == nil {
		s.settleNode(n)
	}
}

// SettleAll gives what every client-side session holds back to its file
// (sync(2), the console's sync). Each settle is a request of its own:
// callers outside any request may call it. The disk's periodic
// write-back does not call it: with it there, TestDiskSurvivesQEMUKilled
// found the end of a file missing after a crash although its fsync had
// returned (1 run of 3), for a reason not yet understood.
func (s *Server) SettleAll() {
	if s.held.Load() == 0 {
		return
	}
	s.mu.Lock()
	var opens []*openFile
	for _, obj := range s.files {
		opens = append(opens, obj.opens...)
	}
	s.mu.Unlock()
	for _, o := range opens {
		s.dom.Do(func() { settleOne(o) })
	}
}

// settleOne settles o's session, unless its description was closed
// meanwhile (its entry is gone: its End gave everything back).
func settleOne(o *openFile) {
	defer func() {
		if p := recover(); p != nil {
			if err, ok := p.(error); !ok || !errors.Is(err, reconfig.ErrDestroyed) {
				panic(p)
			}
		}
	}()
	o.sess.Get().Settle(bg)
}

// PinSession pins the session of the open description named object (as
// the system table names it) to impl, swapping it there now; "" unpins.
// A pin holds against the policies, not against a second open, which
// always makes the file's sessions shared.
func (s *Server) PinSession(object, impl string) error {
	o := s.byName(object)
	if o == nil {
		return fmt.Errorf("%s: no open file's session by that name", object)
	}
	if impl == "" {
		o.pin.Store(nil)
		return nil
	}
	switch impl {
	case SessionShared, SessionExclusive, SessionSmallFile:
	default:
		return fmt.Errorf("%s: no session implementation %q (have shared, exclusive, smallfile)", object, impl)
	}
	o.obj.swapMu.Lock()
	defer o.obj.swapMu.Unlock()
	s.mu.Lock()
	others := len(o.obj.opens) > 1
	s.mu.Unlock()
	if others && impl != SessionShared {
		return fmt.Errorf("%s: the file is open more than once: only a shared session keeps its opens coherent", object)
	}
	o.pin.Store(&impl)
	_, err := s.swapTo(o, impl)
	return err
}

func (s *Server) byName(object string) *openFile {
	for h := range maxHandles {
		if o := s.handles[h].Load(); o != nil && o.sessE.Name() == object {
			return o
		}
	}
	return nil
}

// SessionInfo describes one open description.
type SessionInfo struct {
	Handle int32
	Object string // the session's name in the system table
	Path   string
	Impl   string // shared, exclusive or smallfile
	Pinned string
	FCM    string // the file's FCM implementation, if it has one
	Opens  int    // open descriptions of the file
	Slot   string // the client slot's state
	Hits   [client.NumOps]uint64
}

// Sessions describes every open description (the console's files view).
func (s *Server) Sessions() []SessionInfo {
	var out []SessionInfo
	for h := range maxHandles {
		o := s.handles[h].Load()
		if o == nil {
			continue
		}
		s.mu.Lock()
		opens := len(o.obj.opens)
		s.mu.Unlock()
		in := SessionInfo{Handle: int32(h), Object: o.sessE.Name(), Path: o.f.Name(), Impl: sessionImpl(o.sessE.Component()),
			Opens: opens, Slot: slotState(client.State(int32(h))), Hits: client.Hits(int32(h))}
		if p := o.pin.Load(); p != nil {
			in.Pinned = *p
		}
		if d, ok := o.f.Node().Data().(fcmFile); ok {
			in.FCM = d.Impl()
		}
		out = append(out, in)
	}
	return out
}

func slotState(st uint32) string {
	return [...]string{client.Free: "free", client.Idle: "idle", client.Busy: "busy", client.Server: "server", client.Recalled: "recalled"}[st]
}

// fcmFile is what the sharing policy needs of a file's Data: its FCM's
// implementation and a swap that respects pins (mm/fcm.File).
type fcmFile interface {
	Impl() string
	SwapTo(impl string) (from string, err error)
	ChangeTo(impl string) (reconfig.Change, error)
}

// sharingMonitor is the sharing policy's wrapper on a file's sessions: it
// keeps the last threads seen and when, and decides.
type sharingMonitor struct {
	s    *Server
	obj  *fileObj
	node *fs.Node

	// The thread that made the last call, and when (platform clock).
	lastTID atomic.Int32
	lastAt  atomic.Int64

	mu      sync.Mutex
	tids    []int32 // distinct threads seen within the window, latest last
	at      []int64 // when each was last seen (platform clock)
	shared  int64   // when the file was last seen shared (ns); 0: never
	swapped bool    // the policy made the FCM replicated
	queued  bool    // a decision is with the worker
	quiet   *time.Timer
}

// watchLocked attaches obj's monitor to o's session, once. Only a shared
// session is watched: the monitor sees served calls, and a client-side
// session's calls are served on the client, the file's one open
// description's; so a description gets its monitor when it is made
// shared (at the open, or by the swap of recallAll or swapTo), not on
// every open. s.mu is held.
func (s *Server) watchLocked(obj *fileObj, o *openFile) {
	if o.watched || o.f.Node().Type() != fs.S_IFREG || !s.sharing.On() {
		return
	}
	if _, ok := o.f.Node().Data().(fcmFile); !ok {
		return
	}
	if obj.watch == nil {
		obj.watch = &sharingMonitor{s: s, obj: obj, node: o.f.Node()}
	}
	if _, err := o.sessE.Attach(obj.watch); err == nil {
		o.watched = true
	}
}

// PreCall implements reconfig.Wrapper: every served call on one of the
// file's sessions. A call by the thread seen last, within the window,
// only refreshes its time (two atomic stores, no lock, no system call:
// the platform's clock is the timebase); another thread's takes the
// monitor's lock and counts the threads within the window.
func (m *sharingMonitor) PreCall(c *reconfig.Call) {
	c.SkipPost()
	p := m.s.sharing
	if !p.On() {
		return
	}
	cl, ok := c.Arg(1).(*Caller)
	if !ok {
		return
	}
	now := c.Platform().Now()
	if m.lastTID.Load() == cl.TID {
		m.lastAt.Store(now)
		return
	}
	win := p.Param("window").Get()
	need := int(p.Param("threads").Get())
	m.mu.Lock()
	defer m.mu.Unlock()
	// The thread seen last was seen at its lastAt, which the fast path
	// kept current; then forget threads not seen within the window.
	prev, prevAt := m.lastTID.Swap(cl.TID), m.lastAt.Swap(now)
	k := 0
	found := false
	for i := range m.tids {
		if m.tids[i] == prev {
			m.at[i], found = max(m.at[i], prevAt), true
		}
	}
	if !found && prevAt != 0 {
		m.tids, m.at = append(m.tids, prev), append(m.at, prevAt)
	}
	for i := range m.tids {
		if now-m.at[i] <= win && m.tids[i] != cl.TID {
			m.tids[k], m.at[k] = m.tids[i], m.at[i]
			k++
		}
	}
	m.tids, m.at = append(m.tids[:k], cl.TID), append(m.at[:k], now)
	if len(m.tids) < max(need, 2) {
		return
	}
	m.shared = time.Now().UnixNano()
	if m.swapped || m.queued {
		return
	}
	m.queued = true
	reason := fmt.Sprintf("%d threads within %v", len(m.tids), time.Duration(win))
	p.Decide(m.obj.e.Name(), reason, func() (string, string, error) {
		from, err := m.swap("replicated")
		m.mu.Lock()
		m.queued = false
		if err == nil && from != "replicated" {
			m.swapped = true
			m.armQuiet()
		}
		m.mu.Unlock()
		return from, "replicated", err
	})
}

// PostCall implements reconfig.Wrapper.
func (m *sharingMonitor) PostCall(*reconfig.Call) {}

// replicated notes that a coordinated swap made the FCM replicated: the
// quiet period starts.
func (m *sharingMonitor) replicated() {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.shared = time.Now().UnixNano()
	if !m.swapped {
		m.swapped = true
		m.armQuiet()
	}
}

func (m *sharingMonitor) swap(impl string) (string, error) {
	d, ok := m.node.Data().(fcmFile)
	if !ok {
		return "", errors.New("the file has no FCM")
	}
	return d.SwapTo(impl)
}

// armQuiet checks, once the quiet period has passed, whether the file was
// shared since; if not the FCM goes back to single. m.mu is held.
func (m *sharingMonitor) armQuiet() {
	quiet := m.s.sharing.Param("quiet").Dur()
	m.quiet = time.AfterFunc(quiet, func() {
		m.mu.Lock()
		since := time.Duration(time.Now().UnixNano() - m.shared)
		if !m.swapped || m.queued {
			m.mu.Unlock()
			return
		}
		if since < quiet {
			m.armQuiet()
			m.mu.Unlock()
			return
		}
		m.queued = true
		m.mu.Unlock()
		m.s.sharing.Decide(m.obj.e.Name(), fmt.Sprintf("one thread for %v", quiet), func() (string, string, error) {
			from, err := m.swap("single")
			m.mu.Lock()
			m.queued = false
			if err == nil {
				m.swapped = false
			}
			m.mu.Unlock()
			return from, "single", err
		})
	})
}
