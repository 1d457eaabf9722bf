package ktest

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"sync"
	"syscall"
	"time"
)

// Loopback sockets through Go's net package (and a few raw calls). Each
// asserts Linux behaviour, so it runs on the host too.

func init() {
	Add(
		Test{Name: "TestTCPLoopbackManyConnections", Fn: testTCPMany},
		Test{Name: "TestTCPHalfCloseAndRefused", Fn: testTCPHalfClose},
		Test{Name: "TestUDPLoopback", Fn: testUDP},
		Test{Name: "TestUnixSockets", Fn: testUnixSockets},
		Test{Name: "TestUnixCredentials", Fn: testUnixCredentials},
		Test{Name: "TestUnixRights", Fn: testUnixRights},
		Test{Name: "TestUnixSeqpacket", Fn: testUnixSeqpacket},
	)
}

// testTCPMany: 32 clients at once, each sending 100 KiB (more than a
// socket's ring holds) and reading back the server's checksum of it.
func testTCPMany(t TB) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("listen: %v", err)
	}
	defer ln.Close()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				var sum uint32
				n, _ := io.Copy(writerFunc(func(b []byte) (int, error) {
					for _, x := range b {
						sum = sum*31 + uint32(x)
					}
					return len(b), nil
				}), io.LimitReader(c, 100<<10))
				fmt.Fprintf(c, "%d %d\n", n, sum)
			}()
		}
	}()
	const clients = 32
	var wg sync.WaitGroup
	for i := 0; i < clients; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			c, err := net.Dial("tcp", ln.Addr().String())
			if err != nil {
				t.Errorf("dial %d: %v", i, err)
				return
			}
			defer c.Close()
			data := bytes.Repeat([]byte{byte(i), byte(i * 7), 3}, (100<<10)/3+1)[:100<<10]
			var want uint32
			for _, x := range data {
				want = want*31 + uint32(x)
			}
			go c.Write(data)
			line, err := bufio.NewReader(c).ReadString('\n')
			if err != nil || line != fmt.Sprintf("%d %d\n", len(data), want) {
				t.Errorf("client %d: %q %v", i, line, err)
			}
		}(i)
	}
	wg.Wait()
}

type writerFunc func([]byte) (int, error)

func (f writerFunc) Write(b []byte) (int, error) { return f(b) }

// testTCPHalfClose: CloseWrite is end of file for the peer, which can
// still answer; a port nobody listens on refuses; addresses are right.
func testTCPHalfClose(t TB) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("listen: %v", err)
	}
	defer ln.Close()
	done := make(chan error, 1)
	go func() {
		c, err := ln.Accept()
		if err != nil {
			done <- err
			return
		}
		defer c.Close()
		b, err := io.ReadAll(c) // until the client's CloseWrite
		if err == nil {
			_, err = c.Write(append([]byte("got "), b...))
		}
		done <- err
	}()
	c, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatalf("dial: %v", err)
	}
	defer c.Close()
	if c.RemoteAddr().String() != ln.Addr().String() {
		t.Errorf("remote %v, listener %v", c.RemoteAddr(), ln.Addr())
	}
	c.Write([]byte("request"))
	c.(*net.TCPConn).CloseWrite()
	b, err := io.ReadAll(c)
	if string(b) != "got request" || err != nil {
		t.Errorf("after CloseWrite: %q %v", b, err)
	}
	if err := <-done; err != nil {
		t.Errorf("server: %v", err)
	}
	// A closed listener's port refuses.
	addr := ln.Addr().String()
	ln.Close()
	_, err = net.DialTimeout("tcp", addr, 5*time.Second)
	if !errors.Is(err, syscall.ECONNREFUSED) {
		t.Errorf("dial a closed listener: %v, want ECONNREFUSED", err)
	}
	// A deadline on an idle connection.
	ln2, _ := net.Listen("tcp", "127.0.0.1:0")
	defer ln2.Close()
	c2, err := net.Dial("tcp", ln2.Addr().String())
	if err != nil {
		t.Fatalf("dial: %v", err)
	}
	defer c2.Close()
	c2.SetReadDeadline(time.Now().Add(50 * time.Millisecond))
	if _, err := c2.Read(make([]byte, 1)); !os.IsTimeout(err) {
		t.Errorf("read past its deadline: %v", err)
	}
}

// testUDP: datagrams keep their boundaries and name their sender.
func testUDP(t TB) {
	a, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("listen: %v", err)
	}
	defer a.Close()
	b, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("listen: %v", err)
	}
	defer b.Close()
	for _, msg := range []string{"one", "two", "three"} {
		if _, err := b.WriteTo([]byte(msg), a.LocalAddr()); err != nil {
			t.Fatalf("WriteTo: %v", err)
		}
	}
	buf := make([]byte, 64)
	for _, want := range []string{"one", "two", "three"} {
		a.SetReadDeadline(time.Now().Add(5 * time.Second))
		n, from, err := a.ReadFrom(buf)
		if err != nil || string(buf[:n]) != want || from.String() != b.LocalAddr().String() {
			t.Errorf("ReadFrom: %q from %v (%v), want %q from %v", buf[:n], from, err, want, b.LocalAddr())
		}
	}
}

// testUnixSockets: a named stream socket is a file while it listens; a
// second bind of the name fails; socketpair carries data both ways.
func testUnixSockets(t TB) {
	p := filepath.Join(tempDir(t), "s")
	ln, err := net.Listen("unix", p)
	if err != nil {
		t.Fatalf("listen: %v", err)
	}
	if st, err := os.Stat(p); err != nil || st.Mode()&os.ModeSocket == 0 {
		t.Errorf("the socket's file: %v %v", st, err)
	}
	if _, err := net.Listen("unix", p); !errors.Is(err, syscall.EADDRINUSE) {
		t.Errorf("a second listen on the name: %v, want EADDRINUSE", err)
	}
	go func() {
		c, err := ln.Accept()
		if err == nil {
			c.Write([]byte("unix"))
			c.Close()
		}
	}()
	c, err := net.Dial("unix", p)
	if err != nil {
		t.Fatalf("dial: %v", err)
	}
	b, _ := io.ReadAll(c)
	c.Close()
	if string(b) != "unix" {
		t.Errorf("read %q", b)
	}
	ln.Close()
	if _, err := os.Stat(p); !os.IsNotExist(err) {
		t.Errorf("the file after the listener closed: %v", err)
	}
	fds, err := syscall.Socketpair(syscall.AF_UNIX, syscall.SOCK_STREAM|syscall.SOCK_CLOEXEC, 0)
	if err != nil {
		t.Fatalf("socketpair: %v", err)
	}
	defer syscall.Close(fds[0])
	defer syscall.Close(fds[1])
	syscall.Write(fds[1], []byte("back"))
	buf := make([]byte, 8)
	if n, err := syscall.Read(fds[0], buf); string(buf[:n]) != "back" || err != nil {
		t.Errorf("socketpair read: %q %v", buf[:n], err)
	}
}

// testUnixCredentials: SCM_CREDENTIALS sent over a Unix stream and a
// datagram socketpair reach a receiver with SO_PASSCRED, as sent; without
// them the receiver gets the sender's own; recvmsg's msg_flags carries
// MSG_CMSG_CLOEXEC back, as Linux's.
func testUnixCredentials(t TB) {
	for _, typ := range []int{syscall.SOCK_STREAM, syscall.SOCK_DGRAM} {
		fds, err := syscall.Socketpair(syscall.AF_UNIX, typ, 0)
		if err != nil {
			t.Fatalf("socketpair: %v", err)
		}
		defer syscall.Close(fds[0])
		defer syscall.Close(fds[1])
		if err := syscall.SetsockoptInt(fds[0], syscall.SOL_SOCKET, syscall.SO_PASSCRED, 1); err != nil {
			t.Fatalf("SO_PASSCRED: %v", err)
		}
		recv := func() (*syscall.Ucred, int) {
			buf, oob := make([]byte, 8), make([]byte, 64)
			_, oobn, flags, _, err := syscall.Recvmsg(fds[0], buf, oob, syscall.MSG_CMSG_CLOEXEC)
			if err != nil {
				t.Fatalf("recvmsg (type %d): %v", typ, err)
			}
			msgs, err := syscall.ParseSocketControlMessage(oob[:oobn])
			if err != nil || len(msgs) != 1 {
				t.Fatalf("control messages (type %d): %d, %v", typ, len(msgs), err)
			}
			c, err := syscall.ParseUnixCredentials(&msgs[0])
			if err != nil {
				t.Fatalf("credentials (type %d): %v", typ, err)
			}
			return c, flags
		}
		want := syscall.Ucred{Pid: int32(os.Getpid()), Uid: uint32(os.Getuid()), Gid: uint32(os.Getgid())}
		if err := syscall.Sendmsg(fds[1], []byte("x"), syscall.UnixCredentials(&want), nil, 0); err != nil {
			t.Fatalf("sendmsg with SCM_CREDENTIALS (type %d): %v", typ, err)
		}
		if c, flags := recv(); *c != want || flags != syscall.MSG_CMSG_CLOEXEC {
			t.Fatalf("type %d: credentials %+v, flags %#x; want %+v, MSG_CMSG_CLOEXEC", typ, *c, flags, want)
		}
		if _, err := syscall.Write(fds[1], []byte("y")); err != nil {
			t.Fatalf("write: %v", err)
		}
		if c, _ := recv(); *c != want {
			t.Fatalf("type %d: credentials of a plain write %+v, want the sender's %+v", typ, *c, want)
		}
	}
}

// testUnixRights: a descriptor sent with SCM_RIGHTS arrives as a new one
// naming the same open description, even after the sender closed its
// own, with close-on-exec when the receiver asks (MSG_CMSG_CLOEXEC).
func testUnixRights(t TB) {
	fds, err := syscall.Socketpair(syscall.AF_UNIX, syscall.SOCK_STREAM, 0)
	if err != nil {
		t.Fatalf("socketpair: %v", err)
	}
	defer syscall.Close(fds[0])
	defer syscall.Close(fds[1])
	var p [2]int
	if err := syscall.Pipe(p[:]); err != nil {
		t.Fatalf("pipe: %v", err)
	}
	defer syscall.Close(p[0])
	if err := syscall.Sendmsg(fds[1], []byte("f"), syscall.UnixRights(p[1]), nil, 0); err != nil {
		t.Fatalf("sendmsg with SCM_RIGHTS: %v", err)
	}
	syscall.Close(p[1]) // in flight, the description stays open
	buf, oob := make([]byte, 1), make([]byte, syscall.CmsgSpace(4))
	n, oobn, flags, _, err := syscall.Recvmsg(fds[0], buf, oob, syscall.MSG_CMSG_CLOEXEC)
	if err != nil || n != 1 || flags&syscall.MSG_CTRUNC != 0 {
		t.Fatalf("recvmsg: %d, %#x, %v", n, flags, err)
	}
	msgs, err := syscall.ParseSocketControlMessage(oob[:oobn])
	if err != nil || len(msgs) != 1 {
		t.Fatalf("control messages: %d, %v", len(msgs), err)
	}
	got, err := syscall.ParseUnixRights(&msgs[0])
	if err != nil || len(got) != 1 {
		t.Fatalf("rights: %v, %v", got, err)
	}
	defer syscall.Close(got[0])
	if fl, _, _ := syscall.Syscall(syscall.SYS_FCNTL, uintptr(got[0]), syscall.F_GETFD, 0); fl&syscall.FD_CLOEXEC == 0 {
		t.Fatalf("received fd %d: FD_CLOEXEC not set", got[0])
	}
	if _, err := syscall.Write(got[0], []byte("through")); err != nil {
		t.Fatalf("write through the received fd: %v", err)
	}
	b := make([]byte, 16)
	if n, err := syscall.Read(p[0], b); err != nil || string(b[:n]) != "through" {
		t.Fatalf("pipe read %q, %v", b[:n], err)
	}
	if err := syscall.Sendmsg(fds[1], []byte("x"), syscall.UnixRights(99999), nil, 0); err != syscall.EBADF {
		t.Fatalf("SCM_RIGHTS of a closed fd: %v, want EBADF", err)
	}
}

// testUnixSeqpacket: a SOCK_SEQPACKET pair keeps each send a record: a
// short read takes the front of one record (MSG_TRUNC in msg_flags) and
// drops the rest, and the next read starts at the next record.
func testUnixSeqpacket(t TB) {
	fds, err := syscall.Socketpair(syscall.AF_UNIX, syscall.SOCK_SEQPACKET, 0)
	if err != nil {
		t.Fatalf("socketpair: %v", err)
	}
	defer syscall.Close(fds[0])
	defer syscall.Close(fds[1])
	for _, m := range []string{"first record", "second"} {
		if _, err := syscall.Write(fds[1], []byte(m)); err != nil {
			t.Fatalf("write: %v", err)
		}
	}
	b := make([]byte, 5)
	n, _, flags, _, err := syscall.Recvmsg(fds[0], b, nil, 0)
	if err != nil || string(b[:n]) != "first" || flags&syscall.MSG_TRUNC == 0 {
		t.Fatalf("short read: %q, flags %#x, %v; want \"first\" with MSG_TRUNC", b[:n], flags, err)
	}
	b = make([]byte, 64)
	n, _, flags, _, err = syscall.Recvmsg(fds[0], b, nil, 0)
	if err != nil || string(b[:n]) != "second" || flags&syscall.MSG_TRUNC != 0 {
		t.Fatalf("next read: %q, flags %#x, %v; want \"second\" whole", b[:n], flags, err)
	}
}
