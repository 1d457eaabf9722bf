package fs

import (
	"errors"
	"fmt"
	"io"
	iofs "io/fs"
	"syscall"
	"testing"
)

func TestErrno(t *testing.T) {
	e := &Error{Op: "renameat2", Path: "a", Path2: "b", Errno: syscall.EXDEV}
	for _, tc := range []struct {
		err  error
		want syscall.Errno
	}{
		{nil, 0},
		{io.EOF, 0},
		{syscall.ENOENT, syscall.ENOENT},
		{e, syscall.EXDEV},
		{fmt.Errorf("wrapped: %w", e), syscall.EXDEV},
		{errors.New("no errno"), syscall.EIO},
	} {
		if got := Errno(tc.err); got != tc.want {
			t.Errorf("Errno(%v) = %v, want %v", tc.err, got, tc.want)
		}
	}
	if got := e.Error(); got != "renameat2 a b: "+syscall.EXDEV.Error() {
		t.Errorf("Error() = %q", got)
	}
	fsys, _ := newTestFS(t)
	_, err := fsys.StatAt(nil, "/missing", 0)
	if !errors.Is(err, syscall.ENOENT) || !errors.Is(err, iofs.ErrNotExist) {
		t.Errorf("%v is not ENOENT and fs.ErrNotExist", err)
	}
	var fe *Error
	if !errors.As(err, &fe) || fe.Op != "statx" || fe.Path != "/missing" {
		t.Errorf("error %#v", err)
	}
}
