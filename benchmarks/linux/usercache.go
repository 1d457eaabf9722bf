package main

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
)

// The fetched kernel is also kept in the user's cache directory
// (os.UserCacheDir()/k42/linux, ~/.cache/k42/linux), so that a fresh
// clone on the same machine takes it from there instead of downloading it
// again; K42_LINUX_CACHE names another directory, or "off" none.
const userCacheEnv = "K42_LINUX_CACHE"

// userCache is the user-level cache directory, "" when there is none.
func userCache() string {
	switch d := os.Getenv(userCacheEnv); d {
	case "off":
		return ""
	case "":
	default:
		return d
	}
	d, err := os.UserCacheDir()
	if err != nil {
		return ""
	}
	return filepath.Join(d, "k42", "linux")
}

// restoreUserCache copies the user-level cache into the module's cache
// (root/.build/linux) when the module has no kernel and the user's cache
// has one; it reports whether it did.
func restoreUserCache(root string, log io.Writer) bool {
	src := userCache()
	if src == "" {
		return false
	}
	if st, err := os.Stat(filepath.Join(src, vmlinuxName)); err != nil || !st.Mode().IsRegular() || st.Size() == 0 {
		return false
	}
	dst := filepath.Join(root, cacheDir)
	if err := copyTree(src, dst); err != nil {
		fmt.Fprintf(log, "linux: the kernel in %s could not be copied (%v): fetching it\n", src, err)
		return false
	}
	fmt.Fprintf(log, "linux: took the kernel from %s\n", src)
	return true
}

// saveUserCache copies the module's fetched kernel, its note and its
// modules to the user-level cache; a failure only costs a later fetch.
func saveUserCache(root string, log io.Writer) {
	dst := userCache()
	if dst == "" {
		return
	}
	src := filepath.Join(root, cacheDir)
	for _, name := range []string{vmlinuxName, kernelNote, modulesName} {
		if err := copyTree(filepath.Join(src, name), filepath.Join(dst, name)); err != nil {
			fmt.Fprintf(log, "linux: not kept in %s: %v\n", dst, err)
			return
		}
	}
}

// copyTree copies the file or directory src to dst, replacing files.
func copyTree(src, dst string) error {
	return filepath.Walk(src, func(p string, info os.FileInfo, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(src, p)
		if err != nil {
			return err
		}
		target := filepath.Join(dst, rel)
		if info.IsDir() {
			return os.MkdirAll(target, 0o755)
		}
		if !info.Mode().IsRegular() {
			return nil
		}
		if err := os.MkdirAll(filepath.Dir(target), 0o755); err != nil {
			return err
		}
		in, err := os.Open(p)
		if err != nil {
			return err
		}
		defer in.Close()
		out, err := os.OpenFile(target+".tmp", os.O_CREATE|os.O_TRUNC|os.O_WRONLY, info.Mode().Perm())
		if err != nil {
			return err
		}
		if _, err := io.Copy(out, in); err != nil {
			out.Close()
			return err
		}
		if err := out.Close(); err != nil {
			return err
		}
		return os.Rename(target+".tmp", target)
	})
}
