package fs

import (
	"errors"
	"io"
	"syscall"
)

// Error is the error of a failed operation: what was done (Op, using
// Linux's system-call names), on what (Path, and Path2 for the second path
// of rename and link and the target of symlink), and the errno.
type Error struct {
	Op    string
	Path  string
	Path2 string
	Errno syscall.Errno
}

func (e *Error) Error() string {
	s := e.Op
	if e.Path != "" || e.Path2 != "" {
		s += " " + e.Path
	}
	if e.Path2 != "" {
		s += " " + e.Path2
	}
	return s + ": " + e.Errno.Error()
}

// Unwrap returns the errno, so errors.Is(err, syscall.ENOENT) and
// errors.Is(err, io/fs.ErrNotExist) work.
func (e *Error) Unwrap() error { return e.Errno }

// Errno returns the Linux errno of an error returned by this package: 0
// for nil and for io.EOF (end of file is not an error to read(2)), EIO for
// an error that carries no errno.
func Errno(err error) syscall.Errno {
	switch e := err.(type) {
	case nil:
		return 0
	case *Error:
		return e.Errno
	case syscall.Errno:
		return e
	}
	if err == io.EOF {
		return 0
	}
	var en syscall.Errno
	if errors.As(err, &en) {
		return en
	}
	return syscall.EIO
}

func pathErr(op, path string, errno syscall.Errno) error {
	return &Error{Op: op, Path: path, Errno: errno}
}

func wrap(op, path string, err error) error {
	if err == nil {
		return nil
	}
	if en, ok := err.(syscall.Errno); ok {
		return &Error{Op: op, Path: path, Errno: en}
	}
	return err
}
