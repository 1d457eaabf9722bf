package runner

import (
	"path/filepath"
	"regexp"
	"strconv"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"k42/fs/diskfs"
	"k42/mm/blockdev"
)

// persistApp writes and checks files on the root file system, which is
// on the disk.
const persistApp = `package main

import (
	"bytes"
	"fmt"
	"os"
	"strconv"
	"syscall"
	"time"
)

func content(i int) []byte { return bytes.Repeat([]byte(fmt.Sprintf("file %d;", i)), 100+i*300) }

func syncDir() {
	d, err := os.Open("/root")
	if err != nil {
		panic(err)
	}
	if err := d.Sync(); err != nil {
		panic(err)
	}
	d.Close()
}

func write(p string, b []byte) {
	f, err := os.Create(p)
	if err != nil {
		panic(err)
	}
	if _, err := f.Write(b); err != nil {
		panic(err)
	}
	if err := f.Sync(); err != nil {
		panic(err)
	}
	f.Close()
}

func check(n int) {
	for i := 0; i < n; i++ {
		got, err := os.ReadFile(fmt.Sprintf("/root/f%d", i))
		if err != nil || !bytes.Equal(got, content(i)) {
			fmt.Printf("file %d: %d bytes, %v\n", i, len(got), err)
			os.Exit(1)
		}
	}
}

func main() {
	n, _ := strconv.Atoi(os.Args[2])
	switch os.Args[1] {
	case "write":
		for i := 0; i < n; i++ {
			write(fmt.Sprintf("/root/f%d", i), content(i))
			syncDir()
		}
		// Not fsynced: the background commit (k42.commit) takes it.
		os.WriteFile("/root/later", []byte("later"), 0o644)
		time.Sleep(2 * time.Second)
		// Nor this: sync(2) takes it, just before the program exits.
		os.WriteFile("/root/synced", []byte("by sync"), 0o644)
		syscall.Sync()
		fmt.Println("wrote", n)
	case "check":
		check(n)
		if b, err := os.ReadFile("/root/later"); err != nil || string(b) != "later" {
			fmt.Printf("later: %q %v\n", b, err)
			os.Exit(1)
		}
		if b, err := os.ReadFile("/root/synced"); err != nil || string(b) != "by sync" {
			fmt.Printf("synced: %q %v\n", b, err)
			os.Exit(1)
		}
		fmt.Println("ok", n)
	case "loop":
		for i := 0; ; i++ {
			write(fmt.Sprintf("/root/f%d", i), content(i))
			write("/root/tmp", content(i))
			if err := os.Rename("/root/tmp", "/root/current"); err != nil {
				panic(err)
			}
			syncDir()
			fmt.Println("synced", i)
		}
	case "checkloop":
		check(n)
		if got, err := os.ReadFile("/root/current"); err != nil || len(got) < len(content(n-1)) {
			fmt.Printf("current: %d bytes, %v\n", len(got), err)
			os.Exit(1)
		}
		fmt.Println("ok", n)
	}
}
`

// checkImage checks the image on the host as k42fsck does: a file
// system with nothing to repair.
func checkImage(t *testing.T, img string) diskfs.Report {
	dev, err := blockdev.OpenFile(img, true)
	require.NoError(t, err)
	defer dev.Close()
	r, err := diskfs.Check(dev)
	require.NoError(t, err)
	assert.Empty(t, r.Problems, r.String())
	return r
}

// TestDiskFilesSurviveAReboot: files fsynced in one boot, one written
// without fsync before the background commit ran, and one written just
// before sync(2) and the program's exit, are there in the next.
func TestDiskFilesSurviveAReboot(t *testing.T) {
	app := writeApp(t, "persist", persistApp)
	img := filepath.Join(t.TempDir(), "root.img")
	r := runK42(t, "", "-disk", img, "-disk-size", "64M", "-app", app, "--", "k42.commit=200ms", "write", "6")
	require.Equal(t, 0, r.status, r.stderr)
	require.Equal(t, "wrote 6\n", r.stdout)
	checkImage(t, img)
	r = runK42(t, "", "-disk", img, "-app", app, "--", "check", "6")
	require.Equal(t, 0, r.status, r.stderr)
	require.Equal(t, "ok 6\n", r.stdout, r.stderr)
	assert.Contains(t, r.stderr, "root file system on vda: checkpoint")
}

// TestDiskSurvivesQEMUKilled: QEMU killed while the program writes,
// renames and fsyncs, three times on one image; each next boot finds
// every file whose fsync returned, and the image checks clean.
func TestDiskSurvivesQEMUKilled(t *testing.T) {
	app := writeApp(t, "persist", persistApp)
	img := filepath.Join(t.TempDir(), "root.img")
	synced := regexp.MustCompile(`(?m)^synced (\d+)$`)
	for round := range 3 {
		r := runK42(t, "", "-disk", img, "-disk-size", "64M", "-timeout", "12s", "-app", app, "--", "loop", "0")
		m := synced.FindAllStringSubmatch(r.stdout, -1)
		require.NotEmpty(t, m, "round %d: nothing synced before the kill: %s", round, r.stderr)
		n, _ := strconv.Atoi(m[len(m)-1][1])
		rep := checkImage(t, img)
		t.Logf("round %d: killed after %d fsynced files; %s", round, n+1, rep)
		r = runK42(t, "", "-disk", img, "-app", app, "--", "checkloop", strconv.Itoa(n+1))
		require.Equal(t, 0, r.status, r.stdout+r.stderr)
		require.Equal(t, "ok "+strconv.Itoa(n+1)+"\n", r.stdout, r.stderr)
	}
}
