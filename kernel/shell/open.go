package shell

import (
	"fmt"
	"io"
	"os"
	"sort"
	"strconv"
	"strings"
	"sync"
)

// Descriptor commands: open a file and keep it open across commands, so
// that a user can watch what open files do to the system (a second open
// of a file swapping its first session to shared, in sessions). They are
// the os package's calls, served as any program's are.

// Opens is what the descriptor commands work on: the files the console
// holds open, by descriptor.
type Opens struct {
	mu    sync.Mutex
	files map[int]*os.File
	order []int // descriptors in the order open made them: %1, %2, ...
}

// AddOpens adds open, fds, write, read, seek and close.
func (s *Shell) AddOpens() {
	o := &Opens{files: map[int]*os.File{}}
	s.Register(Command{Name: "open", Args: "PATH [r|w|rw][+create][+append][+trunc]", Help: "open a file and keep it open (default rw+create); prints %N (the Nth open, which the other commands take as well as FD) and its descriptor",
		Run: func(s *Shell, args []string) error { return o.open(s, args) }})
	s.Register(Command{Name: "fds", Help: "the files the console holds open: descriptor, path, offset",
		Run: func(s *Shell, args []string) error { return o.list(s) }})
	s.Register(Command{Name: "write", Args: "FD TEXT...", Help: "write TEXT (words joined by spaces, and a newline) at the descriptor's offset",
		Run: func(s *Shell, args []string) error { return o.write(s, args) }})
	s.Register(Command{Name: "read", Args: "FD [N]", Help: "read up to N bytes (default 4096) at the descriptor's offset and print them",
		Run: func(s *Shell, args []string) error { return o.read(s, args) }})
	s.Register(Command{Name: "seek", Args: "FD OFFSET [set|cur|end]", Help: "move the descriptor's offset",
		Run: func(s *Shell, args []string) error { return o.seek(s, args) }})
	s.Register(Command{Name: "close", Args: "FD", Help: "close a descriptor open opened",
		Run: func(s *Shell, args []string) error { return o.close(args) }})
}

func (o *Opens) open(s *Shell, args []string) error {
	if len(args) < 1 || len(args) > 2 {
		return errUsage
	}
	mode := "rw+create"
	if len(args) == 2 {
		mode = args[1]
	}
	flag := 0
	parts := strings.Split(mode, "+")
	switch parts[0] {
	case "r":
		flag = os.O_RDONLY
	case "w":
		flag = os.O_WRONLY
	case "rw":
		flag = os.O_RDWR
	default:
		return fmt.Errorf("open: mode %q: want r, w or rw, then +create, +append, +trunc", mode)
	}
	for _, p := range parts[1:] {
		switch p {
		case "create":
			flag |= os.O_CREATE
		case "append":
			flag |= os.O_APPEND
		case "trunc":
			flag |= os.O_TRUNC
		default:
			return fmt.Errorf("open: mode %q: %q is not create, append or trunc", mode, p)
		}
	}
	f, err := os.OpenFile(args[0], flag, 0o644)
	if err != nil {
		return err
	}
	o.mu.Lock()
	o.files[int(f.Fd())] = f
	o.order = append(o.order, int(f.Fd()))
	n := len(o.order)
	o.mu.Unlock()
	fmt.Fprintf(s.Out, "%%%d: descriptor %d\n", n, f.Fd())
	return nil
}

func (o *Opens) file(arg string) (*os.File, error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	var fd int
	if n, err := strconv.Atoi(strings.TrimPrefix(arg, "%")); err == nil && strings.HasPrefix(arg, "%") {
		if n < 1 || n > len(o.order) {
			return nil, fmt.Errorf("%s: open has made %d descriptors", arg, len(o.order))
		}
		fd = o.order[n-1]
	} else if fd, err = strconv.Atoi(arg); err != nil {
		return nil, fmt.Errorf("%q is neither a descriptor number nor %%N (the Nth open)", arg)
	}
	f := o.files[fd]
	if f == nil {
		return nil, fmt.Errorf("descriptor %d is not one open opened (fds lists them)", fd)
	}
	return f, nil
}

func (o *Opens) list(s *Shell) error {
	o.mu.Lock()
	defer o.mu.Unlock()
	fds := make([]int, 0, len(o.files))
	for fd := range o.files {
		fds = append(fds, fd)
	}
	sort.Ints(fds)
	for _, fd := range fds {
		f := o.files[fd]
		off, _ := f.Seek(0, io.SeekCurrent)
		fmt.Fprintf(s.Out, "%d\t%s\toffset %d\n", fd, f.Name(), off)
	}
	return nil
}

func (o *Opens) write(s *Shell, args []string) error {
	if len(args) < 2 {
		return errUsage
	}
	f, err := o.file(args[0])
	if err != nil {
		return err
	}
	n, err := f.WriteString(strings.Join(args[1:], " ") + "\n")
	if err != nil {
		return err
	}
	fmt.Fprintf(s.Out, "wrote %d bytes\n", n)
	return nil
}

func (o *Opens) read(s *Shell, args []string) error {
	if len(args) < 1 || len(args) > 2 {
		return errUsage
	}
	f, err := o.file(args[0])
	if err != nil {
		return err
	}
	n := 4096
	if len(args) == 2 {
		if n, err = strconv.Atoi(args[1]); err != nil || n <= 0 || n > 1<<20 {
			return fmt.Errorf("read: %q is not a count from 1 to 1048576", args[1])
		}
	}
	b := make([]byte, n)
	k, err := f.Read(b)
	if err != nil && err != io.EOF {
		return err
	}
	fmt.Fprintf(s.Out, "%q\n", b[:k])
	return nil
}

func (o *Opens) seek(s *Shell, args []string) error {
	if len(args) < 2 || len(args) > 3 {
		return errUsage
	}
	f, err := o.file(args[0])
	if err != nil {
		return err
	}
	off, err := strconv.ParseInt(args[1], 0, 64)
	if err != nil {
		return fmt.Errorf("seek: %q is not an offset", args[1])
	}
	whence := io.SeekStart
	if len(args) == 3 {
		switch args[2] {
		case "set":
		case "cur":
			whence = io.SeekCurrent
		case "end":
			whence = io.SeekEnd
		default:
			return fmt.Errorf("seek: %q is not set, cur or end", args[2])
		}
	}
	r, err := f.Seek(off, whence)
	if err != nil {
		return err
	}
	fmt.Fprintf(s.Out, "offset %d\n", r)
	return nil
}

func (o *Opens) close(args []string) error {
	if len(args) != 1 {
		return errUsage
	}
	f, err := o.file(args[0])
	if err != nil {
		return err
	}
	o.mu.Lock()
	delete(o.files, int(f.Fd()))
	o.mu.Unlock()
	return f.Close()
}
