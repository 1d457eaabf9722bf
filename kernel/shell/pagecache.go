package shell

import (
	"errors"
	"fmt"
	"strings"
	"text/tabwriter"

	"k42/fs"
	"k42/mm/fcm"
)

// Page-cache commands: the cache's budget and counters, one file's FCM
// (implementation, pages, replicas, counters; pin and unpin), every FCM
// at a glance, and the factory upgrade that swaps them all.

// PageCache is what the page-cache commands work on.
type PageCache struct {
	FCMs *fcm.Manager
	// FS is the file system whose paths fcm resolves (following
	// symbolic links, from its root).
	FS *fs.FS
}

// AddPageCache adds pagecache, fcm, fcms and upgrade over p, and an FCM's
// pages and counters to show.
func (s *Shell) AddPageCache(p PageCache) {
	s.details = append(s.details, func(name string) (string, bool) {
		if !strings.HasPrefix(name, fcm.NamePrefix) {
			return "", false
		}
		for _, f := range p.FCMs.Files() {
			if f.Name() == name {
				return f.Describe(), true
			}
		}
		return "", false
	})
	s.Register(Command{Name: "pagecache", Args: "[drop]", Help: "the page cache: budget, used, pressure level, pager rounds, hits, misses, evictions, write-backs, bytes; drop writes every dirty page back and empties it (cold caches, as Linux's drop_caches)",
		Run: func(s *Shell, args []string) error {
			switch {
			case len(args) == 1 && args[0] == "drop":
				fmt.Fprintf(s.Out, "dropped %d pages\n", p.FCMs.Cache().Drop())
				return nil
			case len(args) != 0:
				return errUsage
			}
			fmt.Fprint(s.Out, p.FCMs.Cache().Stats())
			return nil
		}})
	s.Register(Command{Name: "fcm", Args: "PATH [pin IMPL|unpin]", Help: "a file's FCM: implementation, resident and dirty pages, replicas per CPU, counters; pin it to an implementation (upgrades leave it) or unpin it",
		Run: func(s *Shell, args []string) error { return fcmCmd(s, p, args) }})
	s.Register(Command{Name: "fcms", Help: "every FCM: name, implementation, resident and dirty pages, hits, misses",
		Run: func(s *Shell, args []string) error { return fcmList(s, p, args) }})
	s.Register(Command{Name: "upgrade", Args: "fcm IMPL", Help: "swap the FCM factory to IMPL (single, replicated, sequential) and every unpinned FCM with it, live; print the report",
		Run: func(s *Shell, args []string) error {
			if len(args) != 2 || args[0] != "fcm" {
				return errUsage
			}
			rep, err := p.FCMs.Upgrade(args[1])
			if err != nil {
				return err
			}
			fmt.Fprintln(s.Out, rep)
			return nil
		}})
}

func fileOf(p PageCache, path string) (*fcm.File, error) {
	n, err := p.FS.Lookup(nil, path, 0)
	if err != nil {
		return nil, err
	}
	f, ok := n.Data().(*fcm.File)
	if !ok {
		return nil, fmt.Errorf("%s is not a regular file with an FCM", path)
	}
	return f, nil
}

func fcmCmd(s *Shell, p PageCache, args []string) error {
	if len(args) == 0 {
		return errUsage
	}
	f, err := fileOf(p, args[0])
	if err != nil {
		return err
	}
	switch {
	case len(args) == 1:
	case len(args) == 3 && args[1] == "pin":
		if err := f.Pin(args[2]); err != nil {
			return err
		}
	case len(args) == 2 && args[1] == "unpin":
		if err := f.Pin(""); err != nil {
			return err
		}
	default:
		return errUsage
	}
	fmt.Fprint(s.Out, f.Describe())
	return nil
}

func fcmList(s *Shell, p PageCache, args []string) error {
	if len(args) != 0 {
		return errUsage
	}
	files := p.FCMs.Files()
	if len(files) == 0 {
		return errors.New("no FCMs (no regular files)")
	}
	w := tabwriter.NewWriter(s.Out, 2, 8, 2, ' ', 0)
	fmt.Fprintln(w, "name\timplementation\tresident\tdirty\thits\tmisses")
	for _, f := range files {
		in := f.Info()
		fmt.Fprintf(w, "%s\t%s\t%d\t%d\t%d\t%d\n", f.Name(), in.Impl, in.Resident, in.Dirty, in.Counts[0], in.Counts[1])
	}
	fmt.Fprintf(w, "factory\t%s\n", p.FCMs.FactoryImpl())
	return w.Flush()
}
