package shell

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"strings"
	"sync"
	"syscall"

	"k42/fs"
	"k42/mm/fcm"
	"k42/reconfig"
)

// Control files: the console's reconfiguration and page-cache commands as
// files, for programs (in the spirit of Linux livepatch's sysfs). A
// Control is a device (fs.Opener) each open of which is a session: a
// write(2) is a command line (several lines: several commands, stopping
// at the first failure); a read(2) returns the answer of the last one,
// or the list of commands before any. A failed command fails its
// write(2) with an errno (ENOENT: no such object or file; EINVAL: bad
// arguments, an unknown command or implementation; EBUSY: a swap that did
// not happen; others as the cause says) and the session's answer is
// "error: " and the message. A View is a read-only file whose contents are
// rendered when it is opened (a snapshot, read to its end like any file).

// Control is a control file.
type Control struct {
	setup func(*Shell)
}

// NewControl returns a control file whose sessions have the commands
// setup registers.
func NewControl(setup func(*Shell)) *Control { return &Control{setup: setup} }

// Open implements fs.Opener.
func (c *Control) Open() fs.Device {
	s := &ctlSession{}
	s.sh = NewBare(&s.out)
	c.setup(s.sh)
	s.sh.Exec("help")
	return s
}

// Read implements fs.Device; a Control is always opened (fs.Opener), so
// it is not called.
func (c *Control) Read([]byte) (int, error) { return 0, syscall.EBADF }

// Write implements fs.Device (see Read).
func (c *Control) Write([]byte) (int, error) { return 0, syscall.EBADF }

type ctlSession struct {
	mu  sync.Mutex
	sh  *Shell
	out bytes.Buffer // the answer being read
}

// Reconfigures implements fs.Reconfigurer: a command may swap.
func (*ctlSession) Reconfigures() {}

func (s *ctlSession) Read(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(p) == 0 {
		return 0, nil
	}
	return s.out.Read(p) // io.EOF at the end of the answer
}

func (s *ctlSession) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.out.Reset()
	for _, line := range strings.Split(string(p), "\n") {
		if err := s.sh.ExecErr(line); err != nil {
			s.out.Reset()
			fmt.Fprintf(&s.out, "error: %v\n", err)
			return 0, errnoOf(err)
		}
	}
	return len(p), nil
}

// errnoOf is the errno a control command's failure gives.
func errnoOf(err error) syscall.Errno {
	var errno syscall.Errno
	var swap *reconfig.SwapError
	switch {
	case errors.Is(err, reconfig.ErrNotFound):
		return syscall.ENOENT
	case errors.Is(err, ErrUsage), errors.Is(err, ErrUnknownCommand), errors.Is(err, reconfig.ErrNoImplementation),
		errors.Is(err, reconfig.ErrWrongInterface), errors.Is(err, reconfig.ErrNoMethod):
		return syscall.EINVAL
	case errors.As(err, &swap):
		return syscall.EBUSY
	case errors.As(err, &errno):
		return errno
	}
	return syscall.EIO
}

// View is a read-only file rendered at each open.
type View struct {
	render func(w io.Writer) error
}

// NewView returns a view whose contents render writes.
func NewView(render func(w io.Writer) error) *View { return &View{render: render} }

// Open implements fs.Opener.
func (v *View) Open() fs.Device {
	s := &snapshot{}
	if err := v.render(&s.b); err != nil {
		s.b.Reset()
		fmt.Fprintf(&s.b, "error: %v\n", err)
	}
	return s
}

// Read implements fs.Device (a View is always opened: see Control.Read).
func (v *View) Read([]byte) (int, error) { return 0, syscall.EBADF }

// Write implements fs.Device.
func (v *View) Write([]byte) (int, error) { return 0, syscall.EBADF }

type snapshot struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *snapshot) Read(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(p) == 0 {
		return 0, nil
	}
	return s.b.Read(p)
}

func (s *snapshot) Write([]byte) (int, error) { return 0, syscall.EBADF }

// ObjectsView renders the table's objects as the console's objects
// command does.
func ObjectsView(t *reconfig.Table) *View {
	return NewView(func(w io.Writer) error { return listObjects(w, t) })
}

// PageCacheView renders the page cache's figures.
func PageCacheView(m *fcm.Manager) *View {
	return NewView(func(w io.Writer) error {
		_, err := fmt.Fprintf(w, "factory %s\n%s", m.FactoryImpl(), m.Cache().Stats())
		return err
	})
}
