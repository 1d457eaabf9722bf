// Package guest is a test package that benchmarks/linux's
// TestRunTestOnLinux runs under Linux in -test mode: its tests check the
// guest the test binary finds (its name and path, working directory,
// environment, /etc, /tmp and the loopback interface). It runs in the
// Linux guest only.
package guest

import (
	"io"
	"net"
	"os"
	"path/filepath"
	"slices"
	"syscall"
	"testing"
)

func TestProgram(t *testing.T) {
	if os.Args[0] != "guest.test" {
		t.Errorf("os.Args[0] = %q", os.Args[0])
	}
	if exe, err := os.Executable(); err != nil || exe != "/bin/guest.test" {
		t.Errorf("os.Executable() = %q, %v", exe, err)
	}
}

func TestWorkingDirectory(t *testing.T) {
	wd, err := os.Getwd()
	if err != nil || filepath.Base(wd) != "guest" || filepath.Base(filepath.Dir(wd)) != "testdata" {
		t.Errorf("os.Getwd() = %q, %v", wd, err)
	}
	if b, err := os.ReadFile("testdata/hello.txt"); err != nil || string(b) != "hello\n" {
		t.Errorf("testdata/hello.txt: %q, %v", b, err)
	}
}

func TestEnvironment(t *testing.T) {
	// What -env gave, then k42's default environment.
	want := []string{"K42TEST=1", "PATH=/usr/local/bin:/usr/bin:/bin", "HOME=/root", "TMPDIR=/tmp"}
	if env := os.Environ(); !slices.Equal(env, want) {
		t.Errorf("environment %q, want %q", env, want)
	}
}

func TestFiles(t *testing.T) {
	if b, err := os.ReadFile("/etc/passwd"); err != nil || string(b) != "root:x:0:0:root:/root:/bin/sh\n" {
		t.Errorf("/etc/passwd: %q, %v", b, err)
	}
	var st syscall.Statfs_t
	if err := syscall.Statfs("/tmp", &st); err != nil || st.Type != 0x01021994 {
		t.Errorf("/tmp: statfs type %#x, %v; want tmpfs", st.Type, err)
	}
}

func TestLoopback(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		if c, err := ln.Accept(); err == nil {
			c.Write([]byte("hi"))
			c.Close()
		}
	}()
	c, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if b, err := io.ReadAll(c); err != nil || string(b) != "hi" {
		t.Errorf("read %q, %v", b, err)
	}
}
