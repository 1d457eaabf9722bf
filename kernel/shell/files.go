package shell

import (
	"errors"
	"fmt"
	"io"
	iofs "io/fs"
	"path"
	"strings"
	"syscall"
	"text/tabwriter"
	"time"

	"k42/fs"
)

// File commands: ls, cat and stat read the file system the way any
// program does (on the kernel, through os.DirFS("/"): the real system
// calls, forwarded to the file-system servers); df reports what the file
// system holds. Paths are absolute, or relative to the root.

// Files is what the file commands work on.
type Files struct {
	// Root is the file system from "/", as io/fs sees it; if it
	// implements fs.ReadLinkFS, ls and stat show symbolic links as links.
	Root iofs.FS
	// Usage reports the file system's figures (df).
	Usage func() fs.Usage
}

// AddFiles adds ls, cat, stat and df over f.
func (s *Shell) AddFiles(f Files) {
	s.Register(Command{Name: "ls", Args: "[-l] [PATH...]", Help: "list directories (-l: mode, links, size, time)",
		Run: func(s *Shell, args []string) error { return ls(s, f, args) }})
	s.Register(Command{Name: "cat", Args: "PATH...", Help: "print files",
		Run: func(s *Shell, args []string) error { return cat(s, f, args) }})
	s.Register(Command{Name: "stat", Args: "PATH...", Help: "a file's inode: type, mode, size, links, times",
		Run: func(s *Shell, args []string) error { return stat(s, f, args) }})
	s.Register(Command{Name: "df", Help: "the file system: inodes by type, pages of file contents",
		Run: func(s *Shell, args []string) error { return df(s, f, args) }})
}

// fsName turns a console path into an io/fs name.
func fsName(p string) (string, error) {
	if strings.IndexByte(p, 0) >= 0 {
		return "", fmt.Errorf("%q: a path cannot hold a NUL byte", p)
	}
	n := strings.TrimPrefix(path.Clean("/"+p), "/")
	if n == "" {
		n = "."
	}
	return n, nil
}

// lstat stats name without following a final symbolic link when the
// file system can.
func lstat(root iofs.FS, name string) (iofs.FileInfo, error) {
	if l, ok := root.(iofs.ReadLinkFS); ok {
		return l.Lstat(name)
	}
	return iofs.Stat(root, name)
}

// pathError shortens an io/fs error to what the console prints: the
// path as the user wrote it and the reason.
func pathError(p string, err error) error {
	var pe *iofs.PathError
	if errors.As(err, &pe) {
		return fmt.Errorf("%s: %v", p, pe.Err)
	}
	return fmt.Errorf("%s: %v", p, err)
}

func ls(s *Shell, f Files, args []string) error {
	long := false
	if len(args) > 0 && args[0] == "-l" {
		long, args = true, args[1:]
	}
	for _, a := range args {
		if strings.HasPrefix(a, "-") {
			return errUsage
		}
	}
	if len(args) == 0 {
		args = []string{"/"}
	}
	var failed []string
	for i, p := range args {
		name, err := fsName(p)
		if err != nil {
			return err
		}
		fi, err := lstat(f.Root, name)
		if err != nil {
			failed = append(failed, pathError(p, err).Error())
			continue
		}
		if !fi.IsDir() {
			s.lsLine(f, name, path.Base(name), fi, long)
			continue
		}
		ents, err := iofs.ReadDir(f.Root, name)
		if err != nil {
			failed = append(failed, pathError(p, err).Error())
			continue
		}
		if len(args) > 1 {
			if i > 0 {
				fmt.Fprintln(s.Out)
			}
			fmt.Fprintf(s.Out, "%s:\n", p)
		}
		w := tabwriter.NewWriter(s.Out, 0, 8, 1, ' ', 0)
		for _, e := range ents {
			if !long {
				fmt.Fprintln(w, e.Name())
				continue
			}
			efi, err := e.Info()
			if err != nil {
				fmt.Fprintf(w, "?\t\t\t\t%s\n", e.Name()) // removed meanwhile
				continue
			}
			s.lsLineTo(w, f, path.Join(name, e.Name()), e.Name(), efi, long)
		}
		w.Flush()
	}
	if len(failed) > 0 {
		return errors.New(strings.Join(failed, "; "))
	}
	return nil
}

func (s *Shell) lsLine(f Files, name, shown string, fi iofs.FileInfo, long bool) {
	w := tabwriter.NewWriter(s.Out, 0, 8, 1, ' ', 0)
	s.lsLineTo(w, f, name, shown, fi, long)
	w.Flush()
}

func (s *Shell) lsLineTo(w io.Writer, f Files, name, shown string, fi iofs.FileInfo, long bool) {
	if !long {
		fmt.Fprintln(w, shown)
		return
	}
	nlink := uint64(1)
	if st, ok := fi.Sys().(*syscall.Stat_t); ok {
		nlink = uint64(st.Nlink)
	}
	if fi.Mode()&iofs.ModeSymlink != 0 {
		if l, ok := f.Root.(iofs.ReadLinkFS); ok {
			if target, err := l.ReadLink(name); err == nil {
				shown += " -> " + target
			}
		}
	}
	fmt.Fprintf(w, "%s\t%d\t%d\t%s\t%s\n", fi.Mode(), nlink, fi.Size(), fi.ModTime().UTC().Format("2006-01-02 15:04"), shown)
}

func cat(s *Shell, f Files, args []string) error {
	if len(args) == 0 {
		return errUsage
	}
	for _, p := range args {
		name, err := fsName(p)
		if err != nil {
			return err
		}
		file, err := f.Root.Open(name)
		if err != nil {
			return pathError(p, err)
		}
		if fi, err := file.Stat(); err == nil && fi.IsDir() {
			file.Close()
			return fmt.Errorf("%s: is a directory", p)
		}
		_, err = io.Copy(s.Out, file)
		file.Close()
		if err != nil {
			return pathError(p, err)
		}
	}
	return nil
}

// kindName names a file's type as stat(1) does.
func kindName(m iofs.FileMode) string {
	switch {
	case m.IsRegular():
		return "regular file"
	case m.IsDir():
		return "directory"
	case m&iofs.ModeSymlink != 0:
		return "symbolic link"
	case m&iofs.ModeNamedPipe != 0:
		return "fifo"
	case m&iofs.ModeSocket != 0:
		return "socket"
	case m&iofs.ModeCharDevice != 0:
		return "character special file"
	case m&iofs.ModeDevice != 0:
		return "block special file"
	}
	return "unknown"
}

func stat(s *Shell, f Files, args []string) error {
	if len(args) == 0 {
		return errUsage
	}
	for _, p := range args {
		name, err := fsName(p)
		if err != nil {
			return err
		}
		fi, err := lstat(f.Root, name)
		if err != nil {
			return pathError(p, err)
		}
		fmt.Fprintf(s.Out, "  File: %s\n  Size: %d\t%s\n", p, fi.Size(), kindName(fi.Mode()))
		if st, ok := fi.Sys().(*syscall.Stat_t); ok {
			fmt.Fprintf(s.Out, " Inode: %d\tLinks: %d\tBlocks: %d\tDevice: %d\n", st.Ino, st.Nlink, st.Blocks, st.Dev)
			fmt.Fprintf(s.Out, "Access: (%04o/%s)\tUid: %d\tGid: %d\n", st.Mode&0o7777, fi.Mode(), st.Uid, st.Gid)
			ts := func(t syscall.Timespec) string {
				return time.Unix(t.Sec, t.Nsec).UTC().Format("2006-01-02 15:04:05.000000000 -0700")
			}
			fmt.Fprintf(s.Out, "Access: %s\nModify: %s\nChange: %s\n", ts(st.Atim), ts(st.Mtim), ts(st.Ctim))
		} else {
			fmt.Fprintf(s.Out, "Access: (%04o/%s)\nModify: %s\n", fi.Mode().Perm(), fi.Mode(), fi.ModTime().UTC().Format("2006-01-02 15:04:05.000000000 -0700"))
		}
	}
	return nil
}

func df(s *Shell, f Files, args []string) error {
	if len(args) != 0 {
		return errUsage
	}
	if f.Usage == nil {
		return errors.New("no file system")
	}
	u := f.Usage()
	pct := func(a, b int64) float64 {
		if b == 0 {
			return 0
		}
		return 100 * float64(a) / float64(b)
	}
	fmt.Fprintf(s.Out, "inodes: %d of %d in use (%.1f%%): %d files, %d directories, %d symbolic links, %d devices, FIFOs and sockets\n",
		u.Inodes, u.MaxInodes, pct(u.Inodes, u.MaxInodes), u.Regular, u.Dirs, u.Symlinks, u.Special)
	fmt.Fprintf(s.Out, "pages: %d of %d in use (%.1f%%), %.1f MiB of file contents in %d KiB pages\n",
		u.Pages, u.MaxPages, pct(u.Pages, u.MaxPages), float64(u.Pages*fs.PageSize)/(1<<20), fs.PageSize>>10)
	return nil
}
