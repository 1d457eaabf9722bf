package serve

import (
	"context"
	"io"
	"sync"
	"syscall"

	"k42/fs"
	"k42/fs/serve/client"
	"k42/reconfig"
)

// File sessions (paper §2.2). An open file description is a session, an
// object of the system table ("session:PATH#INO/H") with three
// implementations:
//
//   - shared: the description's state is the server's (the fs.File);
//     every call is forwarded to the file's server object.
//   - exclusive: the offset, the file's length and a window of its data
//     live in the client's slot (fs/serve/client), which the trap layer
//     serves read, write, pread64, pwrite64, lseek and fstat from without
//     a hand-off; a call the window cannot satisfy is forwarded here,
//     which flushes the window's dirty bytes, moves it and serves the
//     call.
//   - smallFile: an exclusive session that holds the whole file (no larger
//     than the k42.smallfile threshold) in its window from the open on,
//     so that no read misses; a write past the threshold is forwarded
//     here and the session is swapped out to exclusive.
//
// Switching between them is a hot swap through the mediator with state
// transfer in the family's canonical format (sessionState): the offset,
// the dirty bytes not yet in the file, and the window's clean bytes. An
// exclusive session's export recalls its slot (the fast path forwards from
// then on); the import of a client-side session does not touch the slot
// but keeps the state pending until the session's first call, made once
// it is the live component (install), so that a swap that fails after the
// import, or one of a coordinated pair, leaves the old session's slot as
// it was.

// Caller is who made a served call: the thread and the CPU (the policies'
// monitors look at them).
type Caller struct {
	TID, CPU int32
}

// Session is an open file description's session.
type Session interface {
	Read(ctx context.Context, c Caller, p []byte) (int, error)
	Write(ctx context.Context, c Caller, p []byte) (int, error)
	ReadAt(ctx context.Context, c Caller, p []byte, off int64) (int, error)
	WriteAt(ctx context.Context, c Caller, p []byte, off int64) (int, error)
	Seek(ctx context.Context, c Caller, off int64, whence int) (int64, error)
	// Stat fills st (in place).
	Stat(ctx context.Context, c Caller, st *fs.Stat) error
	Truncate(ctx context.Context, c Caller, size int64) error
	Sync(ctx context.Context, c Caller) error
	SetFlags(ctx context.Context, c Caller, flags int) error
	// Settle gives what the client side holds back to the file, so that a
	// call reaching the file another way (by path, sendfile, getdents,
	// a swap of its FCM) sees it.
	Settle(ctx context.Context) error
	// End ends the session at the description's release.
	End(ctx context.Context) error
}

// Session implementations, by the names the console and the policies use.
const (
	SessionShared    = "shared"
	SessionExclusive = "exclusive"
	SessionSmallFile = "smallfile"
)

// sessionBase is what every session of a description knows.
type sessionBase struct {
	f   *fs.File
	srv reconfig.Ref[FileServer] // the file's server object
	h   int32                    // the description's handle: its client slot
	s   *Server
}

// protoNoWindow is the session family's protocol 1: the canonical state
// without the window's clean bytes, for a new session that keeps no
// window (shared), which the file serves instead.
const protoNoWindow reconfig.Protocol = 1

// sessionState is the family's canonical format (and, without Clean,
// protocol 1's).
type sessionState struct {
	Off      int64
	Dirty    []byte // bytes not yet in the file, at DirtyOff
	DirtyOff int64
	Clean    []byte // bytes of the file at CleanOff, as the file has them (after Dirty is written)
	CleanOff int64
}

// writeDirty writes st's dirty bytes to the file, in a request (a swap's
// transfer runs outside any).
//
// A description closed meanwhile has nothing to keep: its session's End
// wrote what it held before the close.
func (b *sessionBase) writeDirty(st *sessionState) error {
	if len(st.Dirty) == 0 || b.f.Closed() {
		return nil
	}
	req := b.s.dom.Enter()
	defer req.End()
	_, err := b.srv.Get().WriteAt(bg, b.f, st.Dirty, st.DirtyOff)
	return err
}

// shared serves every call through the file's server object.
type shared struct{ sessionBase }

func (x *shared) Read(ctx context.Context, _ Caller, p []byte) (int, error) {
	return x.srv.Get().Read(ctx, x.f, p)
}
func (x *shared) Write(ctx context.Context, _ Caller, p []byte) (int, error) {
	return x.srv.Get().Write(ctx, x.f, p)
}
func (x *shared) ReadAt(ctx context.Context, _ Caller, p []byte, off int64) (int, error) {
	return x.srv.Get().ReadAt(ctx, x.f, p, off)
}
func (x *shared) WriteAt(ctx context.Context, _ Caller, p []byte, off int64) (int, error) {
	return x.srv.Get().WriteAt(ctx, x.f, p, off)
}
func (x *shared) Seek(ctx context.Context, _ Caller, off int64, whence int) (int64, error) {
	return x.srv.Get().Seek(ctx, x.f, off, whence)
}
func (x *shared) Stat(ctx context.Context, _ Caller, st *fs.Stat) error {
	return x.srv.Get().Stat(ctx, x.f, st)
}
func (x *shared) Truncate(ctx context.Context, _ Caller, size int64) error {
	return x.srv.Get().Truncate(ctx, x.f, size)
}
func (x *shared) Sync(ctx context.Context, _ Caller) error { return x.srv.Get().Sync(ctx, x.f) }
func (x *shared) SetFlags(ctx context.Context, _ Caller, flags int) error {
	return x.srv.Get().SetFlags(ctx, x.f, flags)
}
func (x *shared) Settle(context.Context) error { return nil }

// End clears the slot a swap from a client-side session left recalled.
func (x *shared) End(context.Context) error {
	x.s.clearSlot(x.h)
	return nil
}

func (x *shared) Protocols() (export, import_ reconfig.ProtocolSet) {
	return reconfig.Protocols(reconfig.Canonical), reconfig.Protocols(reconfig.Canonical, protoNoWindow)
}

func (x *shared) Export(reconfig.Protocol) (any, error) {
	off, err := x.f.Seek(0, io.SeekCurrent)
	if err != nil {
		off = 0 // a description that cannot seek has no offset to keep
	}
	return &sessionState{Off: off}, nil
}

// Import writes the dirty bytes to the file and takes the offset. The
// slot stays as the old session left it (recalled): the fast path
// forwards, and End clears it.
func (x *shared) Import(_ reconfig.Protocol, v any) error {
	st := v.(*sessionState)
	if x.f.Closed() {
		// The description was closed while a second open was making its
		// session shared: its close gave back what the session held (End
		// flushes before the file closes), and the session goes with it.
		// There is no offset to keep, and failing here would fail the
		// second open.
		return nil
	}
	if err := x.writeDirty(st); err != nil {
		return err
	}
	if _, err := x.f.Seek(st.Off, io.SeekStart); err != nil && st.Off != 0 {
		return err
	}
	return nil
}

// windowed is the server half of a client-side session: exclusive and
// smallFile differ only in where the window goes (fixed at 0 for the
// small-file cache) and how large it is.
type windowed struct {
	sessionBase
	size  int  // the window's capacity
	fixed bool // the window stays at offset 0 and holds the whole file

	mu      sync.Mutex    // guards pending and installed
	pending *sessionState // imported, not yet in the slot
	// installed: the slot holds this session's state (after the first
	// call).
	installed bool
}

// exclusive is a client-side session with a moving window.
type exclusive struct{ windowed }

// smallFile is a client-side session holding the whole file.
type smallFile struct{ windowed }

// newWindow makes a window of n bytes for a slot. The trap layer must not
// fault on the memory it touches, and the Go heap is demand-paged: a new
// allocation's pages may not be there yet. So every page of the window is
// written once here, making it present for as long as the window lives
// (the runtime gives back only free pages).
func newWindow(n int) []byte {
	b := make([]byte, n)
	for i := 0; i < n; i += 4096 {
		b[i] = 0
	}
	if n > 0 {
		b[n-1] = 0
	}
	return b
}

// lock takes the session's slot for a call, installing the pending state
// on the session's first call (it is the live component by then). It
// returns nil if the session has no slot (it failed to install): the call
// is then served as a shared session would.
func (w *windowed) lock() *client.Slot {
	w.mu.Lock()
	if !w.installed {
		err := w.install()
		w.mu.Unlock()
		if err != nil {
			return nil
		}
		return client.Get(w.h)
	}
	w.mu.Unlock()
	if !client.Acquire(w.h) {
		return nil
	}
	sl := client.Get(w.h)
	if sl.Changes.Load() != sl.Seen {
		w.refresh(sl) // someone changed the file through the server
	}
	return sl
}

func (w *windowed) unlock() { client.Release(w.h) }

// install puts the pending state in the slot and leaves it held by the
// caller. w.mu is held.
func (w *windowed) install() error {
	held := client.Acquire(w.h) // Recalled by the session before, or Free
	if !held {
		w.s.held.Add(1) // a slot in use from here until it is cleared
	}
	st := w.pending
	if st == nil {
		st = &sessionState{}
	}
	if err := w.writeDirty(st); err != nil {
		client.Recall(w.h) // the slot stays in use, forwarding, until End
		return err
	}
	sl := client.Get(w.h)
	if len(sl.Buf) != w.size {
		sl.Buf = newWindow(w.size)
	}
	sl.Off, sl.Lo, sl.Hi, sl.WinOff, sl.WinLen = st.Off, 0, 0, 0, 0
	sl.Fixed = w.fixed
	sl.Append = w.f.Flags()&syscall.O_APPEND != 0
	w.refresh(sl)
	if w.fixed {
		// The whole file, which is no larger than the window.
		n, err := w.srv.Get().ReadAt(bg, w.f, sl.Buf[:min(sl.Len, int64(w.size))], 0)
		if err != nil && err != io.EOF {
			client.Recall(w.h)
			return err
		}
		sl.WinLen = n
	} else if len(st.Clean) > 0 && st.CleanOff <= sl.Len {
		sl.WinOff = st.CleanOff
		sl.WinLen = copy(sl.Buf, st.Clean[:min(int64(len(st.Clean)), sl.Len-st.CleanOff)])
	}
	w.pending, w.installed = nil, true
	return nil
}

// refresh takes the file's attributes and length from the server after
// the slot's dirty bytes are in the file.
func (w *windowed) refresh(sl *client.Slot) {
	w.flush(sl)
	nd := w.f.Node()
	sl.Changes = nd.Changes()
	sl.Seen = sl.Changes.Load()
	var st fs.Stat
	nd.StatTo(&st)
	linuxStat(&sl.Attr, &st)
	sl.Len = st.Size
	if end := sl.WinOff + int64(sl.WinLen); end > sl.Len {
		sl.WinLen = int(max(sl.Len-sl.WinOff, 0))
	}
}

// flush writes the window's dirty bytes to the file. A failure keeps them
// dirty and is the caller's to report.
func (w *windowed) flush(sl *client.Slot) error {
	if sl.Lo == sl.Hi {
		return nil
	}
	n, err := w.srv.Get().WriteAt(bg, w.f, sl.Buf[sl.Lo:sl.Hi], sl.WinOff+int64(sl.Lo))
	sl.Lo += n
	if sl.Lo == sl.Hi {
		sl.Lo, sl.Hi = 0, 0
		sl.Changes = w.f.Node().Changes()
		sl.Seen = sl.Changes.Load() // our own change
	}
	return err
}

// readAt serves a read the fast path could not: from the window after
// moving it, or straight from the file for a read larger than it.
func (w *windowed) readAt(sl *client.Slot, p []byte, off int64) (int, error) {
	if n, ok := sl.ReadAtHeld(p, off); ok {
		return int(n), nil
	}
	if err := w.flush(sl); err != nil {
		return 0, err
	}
	if off >= sl.Len {
		return 0, io.EOF
	}
	if w.fixed || len(p) >= w.size {
		return w.srv.Get().ReadAt(bg, w.f, p[:min(int64(len(p)), sl.Len-off)], off)
	}
	// Move the window to off.
	n, err := w.srv.Get().ReadAt(bg, w.f, sl.Buf[:min(int64(w.size), sl.Len-off)], off)
	sl.WinOff, sl.WinLen = off, n
	if err != nil && err != io.EOF {
		sl.WinLen = 0
		return 0, err
	}
	return copy(p, sl.Buf[:n]), nil
}

// writeAt serves a write the fast path could not.
func (w *windowed) writeAt(sl *client.Slot, p []byte, off int64) (int, error) {
	now := linuxTime(w.s.fsys.Now())
	if n, ok := sl.WriteAtHeld(p, off, now); ok {
		return int(n), nil
	}
	if err := w.flush(sl); err != nil {
		return 0, err
	}
	if w.fixed || len(p) >= w.size {
		n, err := w.srv.Get().WriteAt(bg, w.f, p, off)
		if end := off + int64(n); end > sl.Len {
			sl.Len = end
		}
		// The window may hold what was overwritten.
		if n > 0 && off < sl.WinOff+int64(sl.WinLen) && off+int64(n) > sl.WinOff {
			lo := max(off, sl.WinOff)
			hi := min(off+int64(n), sl.WinOff+int64(sl.WinLen))
			copy(sl.Buf[lo-sl.WinOff:hi-sl.WinOff], p[lo-off:hi-off])
		}
		w.refresh(sl)
		switch {
		case w.fixed && sl.Len > int64(w.size):
			w.s.outgrown(w.h)
		case w.fixed:
			// Keep the whole file in the window.
			k, rerr := w.srv.Get().ReadAt(bg, w.f, sl.Buf[:sl.Len], 0)
			sl.WinOff, sl.WinLen = 0, k
			if rerr != nil && rerr != io.EOF {
				sl.WinLen = 0
			}
		}
		return n, err
	}
	if off > sl.Len {
		// A hole: the file's, through the server, then a window after it.
		if err := w.srv.Get().Truncate(bg, w.f, off); err != nil {
			return 0, err
		}
		w.refresh(sl)
	}
	sl.WinOff, sl.WinLen = off, 0
	if off < sl.Len && w.f.Flags()&syscall.O_ACCMODE != syscall.O_WRONLY {
		// The window starts on bytes the file has: load them, so that it
		// holds the file's data from WinOff on. (A write-only
		// description's window holds only what it wrote, from WinOff on:
		// nothing can read it, and a flush writes only that.)
		n, err := w.srv.Get().ReadAt(bg, w.f, sl.Buf[:min(int64(w.size), sl.Len-off)], off)
		if err != nil && err != io.EOF {
			return 0, err
		}
		sl.WinLen = n
	}
	n, _ := sl.WriteAtHeld(p, off, now)
	return int(n), nil
}

func (w *windowed) Read(_ context.Context, _ Caller, p []byte) (int, error) {
	sl := w.lock()
	if sl == nil {
		return w.srv.Get().Read(bg, w.f, p)
	}
	defer w.unlock()
	n, err := w.readAt(sl, p, sl.Off)
	sl.Off += int64(n)
	return n, err
}

func (w *windowed) ReadAt(_ context.Context, _ Caller, p []byte, off int64) (int, error) {
	if off < 0 {
		return 0, syscall.EINVAL
	}
	sl := w.lock()
	if sl == nil {
		return w.srv.Get().ReadAt(bg, w.f, p, off)
	}
	defer w.unlock()
	return w.readAt(sl, p, off)
}

func (w *windowed) Write(_ context.Context, _ Caller, p []byte) (int, error) {
	sl := w.lock()
	if sl == nil {
		return w.srv.Get().Write(bg, w.f, p)
	}
	defer w.unlock()
	off := sl.Off
	if sl.Append {
		off = sl.Len
	}
	n, err := w.writeAt(sl, p, off)
	sl.Off = off + int64(n)
	return n, err
}

func (w *windowed) WriteAt(_ context.Context, _ Caller, p []byte, off int64) (int, error) {
	if off < 0 {
		return 0, syscall.EINVAL
	}
	sl := w.lock()
	if sl == nil {
		return w.srv.Get().WriteAt(bg, w.f, p, off)
	}
	defer w.unlock()
	if sl.Append {
		off = sl.Len // Linux appends a pwrite on an O_APPEND description
	}
	return w.writeAt(sl, p, off)
}

func (w *windowed) Seek(_ context.Context, _ Caller, off int64, whence int) (int64, error) {
	sl := w.lock()
	if sl == nil {
		return w.srv.Get().Seek(bg, w.f, off, whence)
	}
	defer w.unlock()
	switch whence {
	case io.SeekStart, io.SeekCurrent, io.SeekEnd:
		base := int64(0)
		switch whence {
		case io.SeekCurrent:
			base = sl.Off
		case io.SeekEnd:
			base = sl.Len
		}
		nw := base + off
		if nw < 0 || (off > 0 && nw < base) {
			return 0, syscall.EINVAL
		}
		sl.Off = nw
		return nw, nil
	}
	// SEEK_DATA, SEEK_HOLE: the file's pages, once the window is in it.
	if err := w.flush(sl); err != nil {
		return 0, err
	}
	r, err := w.srv.Get().Seek(bg, w.f, off, whence)
	if err == nil {
		sl.Off = r
	}
	return r, err
}

func (w *windowed) Stat(_ context.Context, _ Caller, st *fs.Stat) error {
	sl := w.lock()
	if sl == nil {
		return w.srv.Get().Stat(bg, w.f, st)
	}
	defer w.unlock()
	if err := w.flush(sl); err != nil {
		return err
	}
	err := w.srv.Get().Stat(bg, w.f, st)
	w.refresh(sl)
	return err
}

func (w *windowed) Truncate(_ context.Context, _ Caller, size int64) error {
	sl := w.lock()
	if sl == nil {
		return w.srv.Get().Truncate(bg, w.f, size)
	}
	defer w.unlock()
	if err := w.flush(sl); err != nil {
		return err
	}
	err := w.srv.Get().Truncate(bg, w.f, size)
	w.refresh(sl)
	if err == nil && w.fixed && size > int64(w.size) {
		w.s.outgrown(w.h)
	}
	return err
}

func (w *windowed) Sync(_ context.Context, _ Caller) error {
	sl := w.lock()
	if sl == nil {
		return w.srv.Get().Sync(bg, w.f)
	}
	defer w.unlock()
	if err := w.flush(sl); err != nil {
		return err
	}
	err := w.srv.Get().Sync(bg, w.f)
	w.refresh(sl)
	return err
}

func (w *windowed) SetFlags(_ context.Context, _ Caller, flags int) error {
	sl := w.lock()
	err := w.srv.Get().SetFlags(bg, w.f, flags)
	if sl != nil {
		sl.Append = w.f.Flags()&syscall.O_APPEND != 0
		w.unlock()
	}
	return err
}

func (w *windowed) Settle(context.Context) error {
	sl := w.lock()
	if sl == nil {
		return nil
	}
	defer w.unlock()
	err := w.flush(sl)
	w.refresh(sl)
	return err
}

// End writes the dirty bytes back and frees the slot.
func (w *windowed) End(context.Context) error {
	sl := w.lock()
	var err error
	if sl != nil {
		err = w.flush(sl)
	}
	w.s.clearSlot(w.h)
	return err
}

func (w *windowed) Protocols() (export, import_ reconfig.ProtocolSet) {
	return reconfig.Protocols(reconfig.Canonical, protoNoWindow), reconfig.Protocols(reconfig.Canonical)
}

// Export recalls the slot: from here on the fast path forwards, and the
// state (offset, dirty and clean bytes, copied) goes to the new session.
// The slot keeps it too, so that if the swap fails this session goes on
// with it (its next call takes the slot back).
func (w *windowed) Export(p reconfig.Protocol) (any, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if !w.installed {
		st := w.pending
		if st == nil {
			st = &sessionState{}
		}
		return st, nil
	}
	if !client.Acquire(w.h) {
		return &sessionState{}, nil
	}
	sl := client.Get(w.h)
	st := &sessionState{Off: sl.Off}
	if sl.Lo != sl.Hi {
		st.Dirty = append([]byte(nil), sl.Buf[sl.Lo:sl.Hi]...)
		st.DirtyOff = sl.WinOff + int64(sl.Lo)
	}
	if sl.WinLen > 0 && p != protoNoWindow {
		st.Clean = append([]byte(nil), sl.Buf[:sl.WinLen]...)
		st.CleanOff = sl.WinOff
	}
	client.Recall(w.h)
	return st, nil
}

// Import keeps the state pending until the session's first call.
func (w *windowed) Import(_ reconfig.Protocol, v any) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.pending = v.(*sessionState)
	return nil
}
