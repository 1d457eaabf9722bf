package kernel

import "k42/kernel/linux"

// Sockets, served in the trap layer, for the one machine there is: the
// loopback. IPv4 (127.0.0.0/8, and 0.0.0.0 for binding), IPv6 (::1, ::,
// and IPv4-mapped loopback addresses) and Unix-domain sockets (abstract
// names; file-system names, socketpair), stream and datagram. Nothing
// leaves the machine: a connection to any other address is
// ENETUNREACH. This is what Go's net package and net/http/httptest need
// to talk to themselves.
//
// A connected stream socket is a pair of pipe rings (pipe_ppc64.go), one
// per direction: a socket reads its rx ring and writes its peer's, so
// reads, writes, blocking, end of file, EPIPE and epoll readiness are the
// pipes'. connect to a listening socket makes the accepting socket and
// both rings at once and queues it on the listener (a loopback
// connection is established when connect returns); accept takes it. A
// datagram socket's rx ring holds whole messages, each with a header
// naming its sender; a message that does not fit is dropped, as an
// overflowing socket buffer drops it. sched guards sockets.

const (
	maxSockets = 256
	maxBacklog = 128
	portLo     = 32768 // Linux's ip_local_port_range
	portHi     = 60999
	dgramHdr   = 32 // a datagram's header in the ring: length, the sender's port and address, the length of a Unix sender's name, which follows it
	// sockRing is a socket's buffer each way, about what Linux gives a
	// loopback or Unix socket (wmem_default is 208 KiB), so that a
	// writer can get ahead of its reader as far as it can on Linux.
	sockRing = 256 << 10
)

// Socket states.
const (
	sockFree uint8 = iota
	sockIdle       // made, maybe bound
	sockListening
	sockConnected // a stream with a peer, or a datagram socket with a default peer
)

// sockAddr is an address: an IPv4 address is stored IPv4-mapped
// (::ffff:a.b.c.d), so that IPv4 and IPv6 compare alike; a Unix name in
// name.
type sockAddr struct {
	family uint16
	port   uint16
	ip     [16]byte
	name   [108]byte // AF_UNIX: sun_path (an abstract name starts with NUL)
	nlen   int32
}

type socket struct {
	state          uint8
	family, typ    uint16
	proto          uint16
	bound          bool
	binding        bool // a bind to a file-system name is making its file
	shutRd, shutWr bool
	local, remote  sockAddr
	desc           int32 // the desc it is (for epoll), or -1 while queued on a listener
	rx, tx         int32 // rings: what it reads, what it writes (its peer's rx); -1 none
	peer           int32 // the peer socket, or -1
	err            int64 // pending SO_ERROR
	backlog        [maxBacklog]int32
	bhead, bn      int32
	blimit         int32
	opts           sockOpts
	// cred is what the last sendmsg to this socket said of its sender
	// (SCM_CREDENTIALS); credSet: one was given. A receiver with
	// SO_PASSCRED gets it, or the process's own, with what it reads.
	cred    ucred
	credSet bool
	// reset: the TCP peer closed abortively (SO_LINGER with no time, an
	// RST): the next read fails with ECONNRESET, the data unread gone.
	reset bool
	// rights are the descriptors sent to this socket (SCM_RIGHTS) and not
	// yet received: up to maxRightsMsgs messages of up to maxRightsFDs
	// descs each, in the order sent, each desc referenced (refs) while in
	// flight. A recvmsg takes the oldest message's.
	rights              [maxRightsMsgs][maxRightsFDs]int32
	rightsN             [maxRightsMsgs]uint8
	rightsHead, rightsQ uint8
}

// Limits of descriptors in flight (SCM_RIGHTS): per message (Linux allows
// 253) and messages per receiving socket (beyond: ETOOMANYREFS).
const (
	maxRightsFDs  = 16
	maxRightsMsgs = 4
)

// orDefault returns v, or def if v was never set (0).
func orDefault(v, def int32) int32 {
	if v == 0 {
		return def
	}
	return v
}

// connected reports whether sockets of type typ make connections (a
// ring each way): streams and Unix sequenced-packet sockets, whose rings
// carry records (recordWrite, recordRead).
func connected(typ uint16) bool { return typ == linux.SOCK_STREAM || typ == linux.SOCK_SEQPACKET }

// ucred is struct ucred.
type ucred struct{ pid, uid, gid uint32 }

type sockOpts struct {
	reuseAddr, reusePort, keepAlive, noDelay, v6only, broadcast, passCred bool
	rcvbuf, sndbuf, rcvlowat, sndlowat                                    int32
	linger                                                                [2]int32
	keepIdle, keepIntvl, keepCnt, maxSeg                                  int32
	rcvtimeo, sndtimeo                                                    [2]int64
}

var (
	sockets  [maxSockets]socket
	nextPort uint16 = portLo
)

// Wait key of accepts on listening socket s.
func sockKey(s int32) uintptr { return pipeAddr(0) - uintptr(s+1)*8 }

// sockOf returns the socket fd names, or -1 with the errno.
func sockOf(fd int64) (int32, int64) {
	x, _ := fdDesc(fd)
	switch {
	case x == nil:
		return -1, -eBADF
	case x.kind != descSocket:
		return -1, -int64(linux.ENOTSOCK)
	}
	return x.index, 0
}

// newSocket takes a free socket. sched is held.
func newSocket(family, typ, proto uint16) int32 {
	for i := int32(0); i < maxSockets; i++ {
		if sockets[i].state == sockFree {
			sockets[i] = socket{state: sockIdle, family: family, typ: typ, proto: proto, desc: -1, rx: -1, tx: -1, peer: -1}
			sockets[i].opts.rcvbuf, sockets[i].opts.sndbuf = sockRing, sockRing
			sockets[i].opts.rcvlowat, sockets[i].opts.sndlowat = 1, 1
			return i
		}
	}
	return -1
}

func sysSocket(c *CPU, t *Thread) int64 {
	family, typ, proto := argUint(t, 0), argUint(t, 1), argUint(t, 2)
	flags := typ & (linux.SOCK_NONBLOCK | linux.SOCK_CLOEXEC)
	typ &^= flags
	switch family {
	case linux.AF_INET, linux.AF_INET6, linux.AF_UNIX:
	default:
		return -int64(linux.EAFNOSUPPORT)
	}
	switch typ {
	case linux.SOCK_STREAM:
		if family != linux.AF_UNIX && proto != 0 && proto != linux.IPPROTO_TCP {
			return -int64(linux.EPROTONOSUPPORT)
		}
	case linux.SOCK_DGRAM:
		if family != linux.AF_UNIX && proto != 0 && proto != linux.IPPROTO_UDP {
			return -int64(linux.EPROTONOSUPPORT)
		}
	case linux.SOCK_SEQPACKET:
		if family != linux.AF_UNIX {
			return -int64(linux.ESOCKTNOSUPPORT)
		}
	default:
		return -int64(linux.ESOCKTNOSUPPORT)
	}
	sched.lock()
	defer releaseSched(c)
	return openSocket(uint16(family), uint16(typ), uint16(proto), flags)
}

// openSocket makes a socket and an fd for it. sched is held.
func openSocket(family, typ, proto uint16, flags uint32) int64 {
	s := newSocket(family, typ, proto)
	if s < 0 {
		return -eNFILE
	}
	fd, d := openDesc(descSocket, linux.O_RDWR|flags&linux.SOCK_NONBLOCK, flags&linux.SOCK_CLOEXEC != 0)
	if fd < 0 {
		sockets[s] = socket{}
		return fd
	}
	descs[d].index = s
	sockets[s].desc = d
	if typ == linux.SOCK_DGRAM {
		// A datagram socket's receive queue exists from the start.
		if p := newRing(sockRing); p >= 0 {
			pipes[p].readers, pipes[p].writers = 1, 1 // the socket holds both ends
			pipes[p].sock = [2]int32{s + 1, s + 1}
			sockets[s].rx = p
		} else {
			dropFD(fd)
			descs[d] = desc{}
			sockets[s] = socket{}
			return int64(p)
		}
	}
	return fd
}

func sysSocketpair(c *CPU, t *Thread) int64 {
	family, typ, sv := argUint(t, 0), argUint(t, 1), argAddr(t, 3)
	flags := typ & (linux.SOCK_NONBLOCK | linux.SOCK_CLOEXEC)
	typ &^= flags
	if family != linux.AF_UNIX {
		return -int64(linux.EOPNOTSUPP)
	}
	if typ != linux.SOCK_STREAM && typ != linux.SOCK_DGRAM && typ != linux.SOCK_SEQPACKET {
		return -int64(linux.ESOCKTNOSUPPORT)
	}
	if !validUser(sv, 8) {
		return -eFAULT
	}
	sched.lock()
	defer releaseSched(c)
	fa := openSocket(linux.AF_UNIX, uint16(typ), 0, flags)
	if fa < 0 {
		return fa
	}
	fb := openSocket(linux.AF_UNIX, uint16(typ), 0, flags)
	if fb < 0 {
		closeSocketFD(fa)
		return fb
	}
	a, _ := sockOf(fa)
	b, _ := sockOf(fb)
	if e := joinSockets(a, b); e != 0 {
		closeSocketFD(fa)
		closeSocketFD(fb)
		return e
	}
	*userU32(sv), *userU32(sv + 4) = uint32(fa), uint32(fb)
	return 0
}

// closeSocketFD undoes an fd made here. sched is held.
func closeSocketFD(fd int64) {
	if d, last := dropFD(fd); last {
		releaseDesc(d)
	}
}

// joinSockets connects a and b to each other: for streams a ring each
// way, for datagrams each the other's default peer. sched is held.
func joinSockets(a, b int32) int64 {
	sa, sb := &sockets[a], &sockets[b]
	if connected(sa.typ) {
		ab := newRing(sockRing)
		if ab < 0 {
			return int64(ab)
		}
		ba := newRing(sockRing)
		if ba < 0 {
			pipeFree(ab)
			return int64(ba)
		}
		pipes[ab].readers, pipes[ab].writers, pipes[ab].sock = 1, 1, [2]int32{b + 1, a + 1}
		pipes[ba].readers, pipes[ba].writers, pipes[ba].sock = 1, 1, [2]int32{a + 1, b + 1}
		sa.tx, sb.rx = ab, ab
		sa.rx, sb.tx = ba, ba
	}
	sa.peer, sb.peer = b, a
	sa.state, sb.state = sockConnected, sockConnected
	if sa.bound {
		sb.remote = sa.local
	}
	if sb.bound {
		sa.remote = sb.local
	}
	return 0
}

// readSockAddr reads a socket address of family (addrlen bytes at addr)
// into a. sched is held; the range is checked here.
func readSockAddr(family uint16, addr, addrlen uint64, a *sockAddr) int64 {
	if !validUser(addr, addrlen) {
		return -eFAULT
	}
	if addrlen < 2 {
		return -eINVAL
	}
	f := *userU16(addr)
	*a = sockAddr{family: family}
	switch family {
	case linux.AF_INET:
		if addrlen < linux.SizeofSockaddrInet4 {
			return -eINVAL
		}
		if f != linux.AF_INET {
			return -int64(linux.EAFNOSUPPORT)
		}
		b := user(addr, linux.SizeofSockaddrInet4)
		a.port = uint16(b[2])<<8 | uint16(b[3])
		a.ip[10], a.ip[11] = 0xff, 0xff
		copy(a.ip[12:], b[4:8])
	case linux.AF_INET6:
		if f == linux.AF_INET && addrlen >= linux.SizeofSockaddrInet4 {
			return -int64(linux.EAFNOSUPPORT)
		}
		if addrlen < linux.SizeofSockaddrInet6 {
			return -eINVAL
		}
		if f != linux.AF_INET6 {
			return -int64(linux.EAFNOSUPPORT)
		}
		b := user(addr, linux.SizeofSockaddrInet6)
		a.port = uint16(b[2])<<8 | uint16(b[3])
		copy(a.ip[:], b[8:24])
	case linux.AF_UNIX:
		if f != linux.AF_UNIX {
			return -eINVAL
		}
		n := int(min(addrlen, linux.SizeofSockaddrUnix)) - 2
		b := user(addr+2, n)
		if n > 0 && b[0] != 0 {
			for i := 0; i < n; i++ { // a file-system name ends at its NUL
				if b[i] == 0 {
					n = i
					break
				}
			}
		}
		a.nlen = int32(copy(a.name[:], b[:n]))
	}
	return 0
}

// writeSockAddr copies a out as the family's struct to addr, with its
// length at lenp (in: the room, out: the full length). sched is held.
func writeSockAddr(family uint16, a *sockAddr, addr, lenp uint64) int64 {
	if addr == 0 {
		return 0
	}
	if !validUser(lenp, 4) {
		return -eFAULT
	}
	room := uint64(*userU32(lenp))
	var b [linux.SizeofSockaddrUnix]byte
	n := 0
	b[0], b[1] = byte(family>>8), byte(family)
	switch family {
	case linux.AF_INET:
		b[2], b[3] = byte(a.port>>8), byte(a.port)
		copy(b[4:8], a.ip[12:])
		n = linux.SizeofSockaddrInet4
	case linux.AF_INET6:
		b[2], b[3] = byte(a.port>>8), byte(a.port)
		copy(b[8:24], a.ip[:])
		n = linux.SizeofSockaddrInet6
	case linux.AF_UNIX:
		n = 2 + copy(b[2:], a.name[:a.nlen])
		if a.nlen > 0 && a.name[0] != 0 && n < len(b) {
			n++ // a file-system name's NUL
		}
	}
	k := min(room, uint64(n))
	if k > 0 {
		if !validUser(addr, k) {
			return -eFAULT
		}
		copy(user(addr, int(k)), b[:k])
	}
	*userU32(lenp) = uint32(n)
	return 0
}

// ipv4 reports whether a (IPv4-mapped) holds an IPv4 address.
func (a *sockAddr) ipv4() bool {
	for i := 0; i < 10; i++ {
		if a.ip[i] != 0 {
			return false
		}
	}
	return a.ip[10] == 0xff && a.ip[11] == 0xff
}

// unspecified reports 0.0.0.0 or ::.
func (a *sockAddr) unspecified() bool {
	var zero [16]byte
	if a.ipv4() {
		return a.ip[12] == 0 && a.ip[13] == 0 && a.ip[14] == 0 && a.ip[15] == 0
	}
	return a.ip == zero
}

// loopback reports 127.0.0.0/8 or ::1.
func (a *sockAddr) loopback() bool {
	if a.ipv4() {
		return a.ip[12] == 127
	}
	var one [16]byte
	one[15] = 1
	return a.ip == one
}

// sameName reports whether two Unix addresses are the same name.
func sameName(a, b *sockAddr) bool {
	return a.nlen == b.nlen && a.nlen > 0 && string(a.name[:a.nlen]) == string(b.name[:b.nlen])
}

// addrMatch reports whether local address l, bound, takes traffic for
// destination d (same port; l unspecified or equal).
func addrMatch(l, d *sockAddr) bool {
	if l.family == linux.AF_UNIX {
		return sameName(l, d)
	}
	return l.port == d.port && (l.unspecified() || l.ip == d.ip || l.loopback() && d.unspecified() && l.ipv4() == d.ipv4())
}

// familyAccepts reports whether a socket of s's family and options takes
// traffic addressed as d (an IPv6 socket takes IPv4-mapped addresses
// unless IPV6_V6ONLY).
func familyAccepts(s *socket, d *sockAddr) bool {
	switch s.family {
	case linux.AF_INET:
		return d.ipv4()
	case linux.AF_INET6:
		return !d.ipv4() || !s.opts.v6only
	}
	return d.family == linux.AF_UNIX
}

// inUse reports whether another socket of type typ holds a on the
// terms of SO_REUSEADDR and SO_REUSEPORT. sched is held.
func inUse(self int32, typ uint16, a *sockAddr, reuse bool) bool {
	me := &sockets[self]
	for i := int32(0); i < maxSockets; i++ {
		o := &sockets[i]
		if i == self || o.state == sockFree || !o.bound && !o.binding || o.typ != typ || o.local.family != a.family && (o.local.family == linux.AF_UNIX) != (a.family == linux.AF_UNIX) {
			continue
		}
		if a.family == linux.AF_UNIX {
			if sameName(&o.local, a) {
				return true
			}
			continue
		}
		if o.local.port != a.port {
			continue
		}
		overlap := o.local.unspecified() || a.unspecified() || o.local.ip == a.ip
		if !overlap {
			continue
		}
		if o.opts.reusePort && me.opts.reusePort {
			continue
		}
		if reuse && o.opts.reuseAddr && o.state != sockListening {
			continue
		}
		return true
	}
	return false
}

// ephemeralPort returns a free port of type typ for a, or 0.
func ephemeralPort(self int32, typ uint16, a *sockAddr) uint16 {
	for tries := 0; tries <= portHi-portLo; tries++ {
		p := nextPort
		if nextPort++; nextPort > portHi {
			nextPort = portLo
		}
		a.port = p
		if !inUse(self, typ, a, false) {
			return p
		}
	}
	return 0
}

// bindTo binds socket s to a (port 0: an ephemeral one). sched is held.
func bindTo(s int32, a *sockAddr) int64 {
	so := &sockets[s]
	if so.bound {
		return -eINVAL
	}
	if so.family != linux.AF_UNIX {
		if !a.unspecified() && !a.loopback() {
			return -int64(linux.EADDRNOTAVAIL) // the loopback is the only interface
		}
		if a.port == 0 {
			if ephemeralPort(s, so.typ, a) == 0 {
				return -int64(linux.EADDRINUSE)
			}
		} else if inUse(s, so.typ, a, so.opts.reuseAddr) {
			return -int64(linux.EADDRINUSE)
		}
	} else if a.nlen == 0 {
		return unixAutobind(s)
	} else if inUse(s, so.typ, a, false) {
		return -int64(linux.EADDRINUSE)
	}
	so.local, so.bound = *a, true
	return 0
}

// unixAutobindNext is the next abstract name unixAutobind tries.
var unixAutobindNext uint32

// unixAutobind binds Unix socket s to a fresh abstract name of five hex
// digits, as Linux's bind of an address with no name does. sched is held.
func unixAutobind(s int32) int64 {
	so := &sockets[s]
	a := sockAddr{family: linux.AF_UNIX, nlen: 6}
	const hex = "0123456789abcdef"
	for range 1 << 20 {
		v := unixAutobindNext
		unixAutobindNext = (unixAutobindNext + 1) & 0xfffff
		for k := 0; k < 5; k++ {
			a.name[5-k] = hex[v>>(4*k)&15]
		}
		if !inUse(s, so.typ, &a, false) {
			so.local, so.bound = a, true
			return 0
		}
	}
	return -int64(linux.EADDRINUSE)
}

// autobind gives an unbound Internet socket the loopback address and an
// ephemeral port, as connect and sendto do. sched is held.
func autobind(s int32, dest *sockAddr) int64 {
	so := &sockets[s]
	if so.bound || so.family == linux.AF_UNIX {
		return 0
	}
	a := sockAddr{family: so.family}
	if dest.ipv4() {
		a.ip[10], a.ip[11], a.ip[12], a.ip[15] = 0xff, 0xff, 127, 1
	} else {
		a.ip[15] = 1
	}
	return bindTo(s, &a)
}

func sysBind(c *CPU, t *Thread) int64 {
	sched.lock()
	s, e := sockOf(int64(argInt(t, 0)))
	if s < 0 {
		sched.unlock()
		return e
	}
	var a sockAddr
	if e := readSockAddr(sockets[s].family, argAddr(t, 1), uint64(argUint(t, 2)), &a); e != 0 {
		sched.unlock()
		return e
	}
	so := &sockets[s]
	if so.family == linux.AF_UNIX && a.nlen > 0 && a.name[0] != 0 {
		// A file-system name: the socket's file is made first, by the file
		// system (a mknodat on the caller's behalf), and the name is the
		// socket's once it exists (bindMade).
		if so.bound || so.binding {
			sched.unlock()
			return -eINVAL
		}
		if inUse(s, so.typ, &a, false) {
			sched.unlock()
			return -int64(linux.EADDRINUSE)
		}
		so.local, so.binding = a, true
		cwd := int64(linux.AT_FDCWD)
		args := [6]uint64{uint64(cwd), argAddr(t, 1) + 2, linux.S_IFSOCK | 0o777, 0}
		return forwardAs(c, t, linux.SYS_MKNODAT, args, HandleCwd, HandleNone, s+1)
	}
	r := bindTo(s, &a)
	sched.unlock()
	return r
}

// bindMade completes the bind of socket s to a file-system name, whose
// file the file system made (r 0) or could not (r -errno; EEXIST is
// EADDRINUSE, as on Linux). sched is held.
func bindMade(s int32, r int64) int64 {
	so := &sockets[s]
	if !so.binding {
		return -eBADF // closed meanwhile
	}
	so.binding = false
	switch {
	case r == 0:
		so.bound = true
	case r == -int64(linux.EEXIST):
		r = -int64(linux.EADDRINUSE)
	}
	if r != 0 {
		so.local = sockAddr{}
	}
	return r
}

func sysListen(c *CPU, t *Thread) int64 {
	backlog := argInt(t, 1)
	sched.lock()
	defer releaseSched(c)
	s, e := sockOf(int64(argInt(t, 0)))
	if s < 0 {
		return e
	}
	so := &sockets[s]
	switch {
	case !connected(so.typ):
		return -int64(linux.EOPNOTSUPP)
	case so.state == sockConnected:
		return -eINVAL
	}
	if !so.bound {
		if so.family == linux.AF_UNIX {
			return -eINVAL
		}
		a := sockAddr{family: so.family}
		if so.family == linux.AF_INET {
			a.ip[10], a.ip[11] = 0xff, 0xff
		}
		if e := bindTo(s, &a); e != 0 {
			return e
		}
	}
	so.state = sockListening
	so.blimit = min(max(backlog, 1), maxBacklog)
	return 0
}

// findListener returns the listening socket that takes a connection of
// family from a socket to d, or -1. sched is held.
func findListener(typ uint16, d *sockAddr) int32 {
	best := int32(-1)
	for i := int32(0); i < maxSockets; i++ {
		l := &sockets[i]
		if l.state != sockListening || l.typ != typ || !familyAccepts(l, d) || !addrMatch(&l.local, d) {
			continue
		}
		if best < 0 || !l.local.unspecified() { // a specific address wins
			best = i
		}
	}
	return best
}

// findDgram returns the datagram socket bound to d, or -1. sched is held.
func findDgram(d *sockAddr) int32 {
	best := int32(-1)
	for i := int32(0); i < maxSockets; i++ {
		l := &sockets[i]
		if l.state == sockFree || l.typ != linux.SOCK_DGRAM || !l.bound || !familyAccepts(l, d) || !addrMatch(&l.local, d) {
			continue
		}
		if best < 0 || !l.local.unspecified() {
			best = i
		}
	}
	return best
}

func sysConnect(c *CPU, t *Thread) int64 {
	sched.lock()
	defer releaseSched(c)
	s, e := sockOf(int64(argInt(t, 0)))
	if s < 0 {
		return e
	}
	so := &sockets[s]
	var d sockAddr
	if e := readSockAddr(so.family, argAddr(t, 1), uint64(argUint(t, 2)), &d); e != 0 {
		return e
	}
	if so.family != linux.AF_UNIX && !d.loopback() && !d.unspecified() {
		return -int64(linux.ENETUNREACH)
	}
	if so.typ == linux.SOCK_DGRAM {
		// A default peer: connect again replaces it. A Unix name must be a
		// bound socket's now, as on Linux (datagrams to it may fail later
		// if it goes).
		if e := autobind(s, &d); e != 0 {
			return e
		}
		if so.family == linux.AF_UNIX && d.nlen > 0 && findDgram(&d) < 0 {
			return -int64(linux.ECONNREFUSED)
		}
		so.remote, so.state = d, sockConnected
		return 0
	}
	switch so.state {
	case sockConnected:
		return -int64(linux.EISCONN)
	case sockListening:
		return -eINVAL
	}
	l := findListener(so.typ, &d)
	if l < 0 {
		if so.family == linux.AF_UNIX {
			return -eNOENT // no socket by that name
		}
		return -int64(linux.ECONNREFUSED)
	}
	ls := &sockets[l]
	if ls.bn >= ls.blimit {
		return -int64(linux.ECONNREFUSED) // a full queue: the loopback drops the SYN
	}
	if e := autobind(s, &d); e != 0 {
		return e
	}
	a := newSocket(ls.family, ls.typ, ls.proto)
	if a < 0 {
		return -int64(linux.ENOBUFS)
	}
	as := &sockets[a]
	as.opts = ls.opts
	as.local, as.bound = ls.local, true
	if !ls.local.unspecified() || ls.family == linux.AF_UNIX {
		as.local = ls.local
	} else {
		as.local.ip = d.ip // the address the connection came to
		if d.unspecified() {
			as.local.ip = so.local.ip
		}
	}
	if e := joinSockets(s, a); e != 0 {
		sockets[a] = socket{}
		return e
	}
	so.remote = as.local
	as.remote = so.local
	ls.backlog[(ls.bhead+ls.bn)%maxBacklog] = a
	ls.bn++
	wakeRestart(sockKey(l))
	if ls.desc >= 0 {
		epollNotify(ls.desc, linux.EPOLLIN)
	}
	return 0
}

// sysAccept4 serves accept4 and accept.
func sysAccept4(c *CPU, t *Thread) int64 {
	addr, lenp, flags := argAddr(t, 1), argAddr(t, 2), argUint(t, 3)
	if t.Ctx.GPR[0] == linux.SYS_ACCEPT {
		flags = 0
	}
	if flags&^(linux.SOCK_NONBLOCK|linux.SOCK_CLOEXEC) != 0 {
		return -eINVAL
	}
	sched.lock()
	defer releaseSched(c)
	fd := int64(argInt(t, 0))
	s, e := sockOf(fd)
	if s < 0 {
		return e
	}
	ls := &sockets[s]
	if ls.state != sockListening {
		return -eINVAL
	}
	if ls.bn == 0 {
		if x, _ := fdDesc(fd); x.flags&linux.O_NONBLOCK != 0 {
			return -eAGAIN
		}
		return waitOn(c, t, sockKey(s))
	}
	a := ls.backlog[ls.bhead]
	nfd, d := openDesc(descSocket, linux.O_RDWR|flags&linux.SOCK_NONBLOCK, flags&linux.SOCK_CLOEXEC != 0)
	if nfd < 0 {
		return nfd
	}
	ls.bhead = (ls.bhead + 1) % maxBacklog
	ls.bn--
	descs[d].index = a
	sockets[a].desc = d
	if e := writeSockAddr(sockets[a].family, &sockets[a].remote, addr, lenp); e != 0 {
		return e // the connection stays accepted, as on Linux
	}
	return nfd
}

func sysGetsockname(c *CPU, t *Thread) int64 {
	sched.lock()
	defer releaseSched(c)
	s, e := sockOf(int64(argInt(t, 0)))
	if s < 0 {
		return e
	}
	so := &sockets[s]
	a := so.local
	if !so.bound {
		a = sockAddr{family: so.family}
		if so.family == linux.AF_INET {
			a.ip[10], a.ip[11] = 0xff, 0xff
		}
	}
	return writeSockAddr(so.family, &a, argAddr(t, 1), argAddr(t, 2))
}

func sysGetpeername(c *CPU, t *Thread) int64 {
	sched.lock()
	defer releaseSched(c)
	s, e := sockOf(int64(argInt(t, 0)))
	if s < 0 {
		return e
	}
	so := &sockets[s]
	if so.state != sockConnected || connected(so.typ) && so.peer < 0 {
		return -int64(linux.ENOTCONN)
	}
	return writeSockAddr(so.family, &so.remote, argAddr(t, 1), argAddr(t, 2))
}

func sysShutdown(c *CPU, t *Thread) int64 {
	how := argInt(t, 1)
	if how < linux.SHUT_RD || how > linux.SHUT_RDWR {
		return -eINVAL
	}
	sched.lock()
	defer releaseSched(c)
	s, e := sockOf(int64(argInt(t, 0)))
	if s < 0 {
		return e
	}
	so := &sockets[s]
	if so.state != sockConnected {
		return -int64(linux.ENOTCONN)
	}
	if how != linux.SHUT_WR && !so.shutRd {
		so.shutRd = true
		if so.rx >= 0 {
			wakeRestart(pipeKey(so.rx, endRead))
			if so.desc >= 0 {
				epollNotify(so.desc, linux.EPOLLIN|linux.EPOLLRDHUP)
			}
		}
	}
	if how != linux.SHUT_RD && !so.shutWr {
		so.shutWr = true
		if connected(so.typ) && so.tx >= 0 {
			tx := so.tx
			so.tx = -1
			pipes[tx].sock[endWrite] = 0
			pipeRelease(tx, endWrite) // the peer reads end of file
		}
	}
	return 0
}

// sockRelease ends socket s, whose desc is being released (or which was
// queued on a listener that closed). sched is held.
func sockRelease(s int32) {
	so := &sockets[s]
	for ; so.rightsQ > 0; so.rightsQ-- {
		q := so.rightsHead
		so.rightsHead = (q + 1) % maxRightsMsgs
		for _, d := range so.rights[q][:so.rightsN[q]] {
			dropInFlight(d)
		}
	}
	if so.state == sockListening {
		for so.bn > 0 {
			a := so.backlog[so.bhead]
			so.bhead = (so.bhead + 1) % maxBacklog
			so.bn--
			sockRelease(a) // never accepted: its peer sees the connection end
		}
	}
	if so.typ == linux.SOCK_DGRAM {
		if so.rx >= 0 {
			pipes[so.rx].sock = [2]int32{}
			pipeFree(so.rx)
		}
		for i := range sockets {
			if sockets[i].peer == s {
				sockets[i].peer = -1
			}
		}
	} else {
		if so.rx >= 0 {
			pipes[so.rx].sock[endRead] = 0
			pipeRelease(so.rx, endRead) // the peer's writes: EPIPE
		}
		if so.tx >= 0 {
			pipes[so.tx].sock[endWrite] = 0
			pipeRelease(so.tx, endWrite) // the peer reads end of file
		}
		if so.peer >= 0 {
			if so.family != linux.AF_UNIX && so.state == sockConnected && so.opts.linger == [2]int32{1, 0} {
				sockets[so.peer].reset = true // an abortive close: the peer gets an RST
			}
			sockets[so.peer].peer = -1
		}
	}
	*so = socket{}
}

// sockReadiness is the level readiness of socket s (for epoll).
func sockReadiness(s int32) uint32 {
	so := &sockets[s]
	var ev uint32
	switch {
	case so.state == sockListening:
		if so.bn > 0 {
			ev |= linux.EPOLLIN
		}
	case so.typ == linux.SOCK_DGRAM:
		ev |= linux.EPOLLOUT
		if so.rx >= 0 && pipes[so.rx].n > 0 {
			ev |= linux.EPOLLIN
		}
	case so.state == sockConnected:
		if so.rx >= 0 {
			ev |= pipeReadiness(so.rx, endRead)
		}
		if so.shutRd {
			ev |= linux.EPOLLIN | linux.EPOLLRDHUP
		}
		if so.tx >= 0 {
			ev |= pipeReadiness(so.tx, endWrite) &^ linux.EPOLLERR
			if pipes[so.tx].readers == 0 {
				ev |= linux.EPOLLHUP
			}
		} else {
			ev |= linux.EPOLLOUT
		}
	default: // a stream that is not connected
		ev |= linux.EPOLLOUT | linux.EPOLLHUP
	}
	return ev
}

// sockRead reads a stream socket's data or a datagram into buf (up to n
// bytes), with the sender's address to addr/lenp if wanted. sched is
// held; buf is checked.
func sockRead(c *CPU, t *Thread, s int32, nonblock bool, buf, n uint64, flags uint32, addr, lenp uint64) int64 {
	so := &sockets[s]
	nonblock = nonblock || flags&linux.MSG_DONTWAIT != 0
	peek := flags&linux.MSG_PEEK != 0
	if so.typ == linux.SOCK_DGRAM {
		return dgramRecv(c, t, s, nonblock, buf, n, flags, addr, lenp)
	}
	if so.state != sockConnected {
		return -int64(linux.ENOTCONN)
	}
	if so.reset {
		so.reset = false
		if so.rx >= 0 {
			ringSkip(so.rx, pipes[so.rx].n) // an RST discards what was not read
		}
		return -int64(linux.ECONNRESET)
	}
	if so.shutRd || so.rx < 0 {
		return 0
	}
	if so.typ == linux.SOCK_SEQPACKET {
		return recordRead(c, t, so.rx, nonblock, buf, n, flags)
	}
	r := ringRead(c, t, so.rx, nonblock, buf, n, peek)
	if r > 0 && addr != 0 {
		if e := writeSockAddr(so.family, &so.remote, addr, lenp); e != 0 {
			return e
		}
	}
	return r
}

// sockWrite writes to a stream socket, or sends a datagram to dest (nil:
// the default peer). sched is held; buf is checked.
func sockWrite(c *CPU, t *Thread, s int32, nonblock bool, buf, n uint64, flags uint32, dest *sockAddr) int64 {
	so := &sockets[s]
	nonblock = nonblock || flags&linux.MSG_DONTWAIT != 0
	if so.typ == linux.SOCK_DGRAM {
		return dgramSend(s, buf, n, dest)
	}
	if so.state != sockConnected {
		return -int64(linux.ENOTCONN)
	}
	if so.shutWr || so.tx < 0 {
		return brokenPipe(c, flags&linux.MSG_NOSIGNAL == 0)
	}
	var r int64
	if so.typ == linux.SOCK_SEQPACKET {
		r = recordWrite(c, t, so.tx, nonblock, buf, n, flags&linux.MSG_NOSIGNAL == 0)
	} else {
		r = ringWrite(c, t, so.tx, nonblock, buf, n, flags&linux.MSG_NOSIGNAL == 0)
	}
	if r == -int64(linux.EPIPE) {
		return -int64(linux.EPIPE) // the peer closed; Linux says ECONNRESET only after an RST
	}
	return r
}

// dgramSend queues a datagram of n bytes at buf on the socket dest names
// (or s's default peer). sched is held; buf is checked.
func dgramSend(s int32, buf, n uint64, dest *sockAddr) int64 {
	so := &sockets[s]
	var to int32 = -1
	var d sockAddr
	switch {
	case dest != nil:
		d = *dest
		if so.family != linux.AF_UNIX && !d.loopback() && !d.unspecified() {
			return -int64(linux.ENETUNREACH)
		}
		if e := autobind(s, &d); e != 0 {
			return e
		}
		to = findDgram(&d)
	case so.peer >= 0:
		to = so.peer // a socketpair
	case so.state == sockConnected:
		d = so.remote
		to = findDgram(&d)
	default:
		return -int64(linux.EDESTADDRREQ)
	}
	from := so.local
	nlen := 0 // a Unix sender's name follows the header (the receiver's recvfrom address)
	if so.family == linux.AF_UNIX {
		nlen = int(max(from.nlen, 0))
	}
	if n+dgramHdr+uint64(nlen) > sockRing {
		return -int64(linux.EMSGSIZE)
	}
	if to < 0 {
		if so.family == linux.AF_UNIX {
			return -int64(linux.ECONNREFUSED)
		}
		return int64(n) // nobody listens on a UDP port: the datagram is lost
	}
	r := sockets[to].rx
	p := &pipes[r]
	if p.n+int(n)+dgramHdr+nlen > p.size {
		return int64(n) // a full receive queue drops it
	}
	var h [dgramHdr]byte
	h[0], h[1], h[2], h[3] = byte(n>>24), byte(n>>16), byte(n>>8), byte(n)
	h[4], h[5] = byte(from.port>>8), byte(from.port)
	copy(h[8:24], from.ip[:])
	h[24], h[25] = byte(nlen>>8), byte(nlen)
	ringPut(r, h[:])
	ringPut(r, from.name[:nlen])
	ringPut(r, user(buf, int(n)))
	wakeRestart(pipeKey(r, endRead))
	if d := sockets[to].desc; d >= 0 {
		epollNotify(d, linux.EPOLLIN)
	}
	return int64(n)
}

// dgramRecv takes the next datagram of s. sched is held; buf is checked.
func dgramRecv(c *CPU, t *Thread, s int32, nonblock bool, buf, n uint64, flags uint32, addr, lenp uint64) int64 {
	so := &sockets[s]
	p := &pipes[so.rx]
	if p.n == 0 {
		if nonblock {
			return -eAGAIN
		}
		return waitOn(c, t, pipeKey(so.rx, endRead))
	}
	var h [dgramHdr]byte
	ringGet(so.rx, h[:], true)
	size := uint64(h[0])<<24 | uint64(h[1])<<16 | uint64(h[2])<<8 | uint64(h[3])
	var from sockAddr
	from.family = so.family
	from.port = uint16(h[4])<<8 | uint16(h[5])
	copy(from.ip[:], h[8:24])
	nlen := min(int(h[24])<<8|int(h[25]), len(from.name))
	from.nlen = int32(nlen)
	k := min(size, n)
	peek := flags&linux.MSG_PEEK != 0
	if peek {
		ringPeekAt(so.rx, dgramHdr, from.name[:nlen])
		ringPeekAt(so.rx, dgramHdr+nlen, user(buf, int(k)))
	} else {
		ringGet(so.rx, h[:], false)
		ringGet(so.rx, from.name[:nlen], false)
		ringGet(so.rx, user(buf, int(k)), false)
		ringSkip(so.rx, int(size-k))
	}
	if so.family == linux.AF_UNIX && nlen == 0 {
		// An unnamed sender: Linux gives no address (length 0), not an
		// empty one.
		if e := writeNoAddr(addr, lenp); e != 0 {
			return e
		}
	} else if e := writeSockAddr(so.family, &from, addr, lenp); e != 0 {
		return e
	}
	if flags&linux.MSG_TRUNC != 0 {
		return int64(size)
	}
	return int64(k)
}

// ringPut appends b to pipe i's ring (the caller checked the room).
func ringPut(i int32, b []byte) {
	p := &pipes[i]
	ring := p.ring()
	w := (p.r + p.n) % p.size
	first := copy(ring[w:], b)
	copy(ring, b[first:])
	p.n += len(b)
}

// ringGet takes len(b) bytes from the front of pipe i's ring (or only
// looks, if peek).
func ringGet(i int32, b []byte, peek bool) {
	p := &pipes[i]
	ring := p.ring()
	first := copy(b, ring[p.r:min(p.r+len(b), p.size)])
	copy(b[first:], ring[:len(b)-first])
	if !peek {
		ringSkip(i, len(b))
	}
}

// ringPeekAt copies len(b) bytes from offset off of pipe i's ring.
func ringPeekAt(i int32, off int, b []byte) {
	p := &pipes[i]
	ring := p.ring()
	start := (p.r + off) % p.size
	first := copy(b, ring[start:min(start+len(b), p.size)])
	copy(b[first:], ring[:len(b)-first])
}

// ringSkip drops k bytes from the front of pipe i's ring.
func ringSkip(i int32, k int) {
	p := &pipes[i]
	p.r = (p.r + k) % p.size
	p.n -= k
	if p.n == 0 {
		p.r = 0
	}
}

// sysSendto serves sendto.
func sysSendto(c *CPU, t *Thread) int64 {
	buf, n, flags, addr, alen := argAddr(t, 1), argSize(t, 2), argUint(t, 3), argAddr(t, 4), uint64(argUint(t, 5))
	if !validUser(buf, n) {
		return -eFAULT
	}
	sched.lock()
	defer releaseSched(c)
	fd := int64(argInt(t, 0))
	s, e := sockOf(fd)
	if s < 0 {
		return e
	}
	x, _ := fdDesc(fd)
	var d *sockAddr
	var da sockAddr
	if addr != 0 && sockets[s].typ == linux.SOCK_DGRAM {
		if e := readSockAddr(sockets[s].family, addr, alen, &da); e != 0 {
			return e
		}
		d = &da
	}
	return sockWrite(c, t, s, x.flags&linux.O_NONBLOCK != 0, buf, n, flags, d)
}

// sysRecvfrom serves recvfrom.
func sysRecvfrom(c *CPU, t *Thread) int64 {
	buf, n, flags, addr, lenp := argAddr(t, 1), argSize(t, 2), argUint(t, 3), argAddr(t, 4), argAddr(t, 5)
	if !validUser(buf, n) {
		return -eFAULT
	}
	sched.lock()
	defer releaseSched(c)
	fd := int64(argInt(t, 0))
	s, e := sockOf(fd)
	if s < 0 {
		return e
	}
	x, _ := fdDesc(fd)
	return sockRead(c, t, s, x.flags&linux.O_NONBLOCK != 0, buf, n, flags, addr, lenp)
}

// struct msghdr on ppc64.
type msghdr struct {
	name       uint64
	namelen    uint32
	_          uint32
	iov        uint64
	iovlen     uint64
	control    uint64
	controllen uint64
	flags      int32
	_          int32
}

// sysSendmsg serves sendmsg and recvmsg, one iovec at a time for a
// stream (a short transfer ends the call), the whole message for a
// datagram (gathered through a bounce buffer of one ring's size).
func sysSendmsg(c *CPU, t *Thread) int64 {
	recv := t.Ctx.GPR[0] == linux.SYS_RECVMSG
	mp, flags := argAddr(t, 1), argUint(t, 2)
	if !validUser(mp, linux.SizeofMsghdr) {
		return -eFAULT
	}
	m := *userMsghdr(mp)
	if e := iovecs(m.iov, m.iovlen); e != 0 {
		return e
	}
	sched.lock()
	defer releaseSched(c)
	fd := int64(argInt(t, 0))
	s, e := sockOf(fd)
	if s < 0 {
		return e
	}
	x, _ := fdDesc(fd)
	nonblock := x.flags&linux.O_NONBLOCK != 0
	so := &sockets[s]
	var ctl sendCtl
	if !recv && m.controllen > 0 {
		if e := ctl.read(so, m.control, m.controllen); e != 0 {
			return e
		}
	}
	if so.typ == linux.SOCK_SEQPACKET {
		return recordMsg(c, t, s, mp, &m, recv, nonblock, flags, &ctl)
	}
	if so.typ == linux.SOCK_DGRAM {
		return dgramMsg(c, t, s, mp, &m, recv, nonblock, flags, &ctl)
	}
	if !recv {
		if e := ctl.deliver(so.peer); e != 0 {
			return e
		}
	}
	total := eachIovec(m.iov, m.iovlen, func(b, l uint64, more bool) int64 {
		if recv {
			return sockRead(c, t, s, nonblock || more, b, l, flags, 0, 0)
		}
		return sockWrite(c, t, s, nonblock || more, b, l, flags, nil)
	})
	if total < 0 {
		return total
	}
	if recv {
		recvControl(so, mp, &m, flags)
		if m.name != 0 {
			// Linux names the sender of a Unix stream's data if it has a
			// name, and never a TCP peer: msg_namelen 0 otherwise.
			if so.family == linux.AF_UNIX && so.remote.nlen > 0 {
				writeSockAddr(so.family, &so.remote, m.name, mp+8)
			} else {
				*userU32(mp + 8) = 0
			}
		}
	}
	return total
}

// dgramMsg serves sendmsg and recvmsg on a datagram socket: the whole
// datagram from (or into) a single buffer, the credentials and
// descriptors going with it to its receiver. sched is held.
func dgramMsg(c *CPU, t *Thread, s int32, mp uint64, m *msghdr, recv, nonblock bool, flags uint32, ctl *sendCtl) int64 {
	so := &sockets[s]
	if m.iovlen > 1 {
		return -int64(linux.EOPNOTSUPP) // a single buffer (what Go's net sends)
	}
	var buf, n uint64
	if m.iovlen == 1 {
		buf, n = *userU64(m.iov), *userU64(m.iov + 8)
	}
	if recv {
		lenp := uint64(0)
		if m.name != 0 {
			lenp = mp + 8 // msg_namelen
		}
		r := dgramRecv(c, t, s, nonblock, buf, n, flags, m.name, lenp)
		if r >= 0 {
			recvControl(so, mp, m, flags)
		}
		return r
	}
	var d *sockAddr
	var da sockAddr
	if m.name != 0 {
		if e := readSockAddr(so.family, m.name, uint64(m.namelen), &da); e != 0 {
			return e
		}
		d = &da
	}
	to := so.peer // the control data goes with the datagram to its receiver
	if d != nil {
		to = findDgram(d)
	}
	if to >= 0 { // none: the send itself says why
		if e := ctl.deliver(to); e != 0 {
			return e
		}
	}
	return sockWrite(c, t, s, nonblock, buf, n, flags, d)
}

// recordMsg serves sendmsg and recvmsg on a SOCK_SEQPACKET socket: one
// record a call, from (or into) a single buffer, with the control data a
// stream's would carry. sched is held.
func recordMsg(c *CPU, t *Thread, s int32, mp uint64, m *msghdr, recv, nonblock bool, flags uint32, ctl *sendCtl) int64 {
	so := &sockets[s]
	// One record a call, from (or into) a single buffer.
	if m.iovlen > 1 {
		return -int64(linux.EOPNOTSUPP)
	}
	var buf, n uint64
	if m.iovlen == 1 {
		buf, n = *userU64(m.iov), *userU64(m.iov + 8)
	}
	if !recv {
		if e := ctl.deliver(so.peer); e != 0 {
			return e
		}
		return sockWrite(c, t, s, nonblock, buf, n, flags, nil)
	}
	r := sockRead(c, t, s, nonblock, buf, n, flags|linux.MSG_TRUNC, 0, 0) // the record's whole length
	if r >= 0 {
		trunc := uint64(r) > n
		if flags&linux.MSG_TRUNC == 0 {
			r = min(r, int64(n))
		}
		recvControl(so, mp, m, flags)
		if trunc {
			*userU32(mp + 48) |= linux.MSG_TRUNC
		}
		if m.name != 0 {
			if so.remote.nlen > 0 {
				writeSockAddr(so.family, &so.remote, m.name, mp+8)
			} else {
				*userU32(mp + 8) = 0
			}
		}
	}
	return r
}

// writeNoAddr reports no address to recvfrom's addr and lenp: a length
// of 0. sched is held.
func writeNoAddr(addr, lenp uint64) int64 {
	if addr == 0 || lenp == 0 {
		return 0
	}
	if !validUser(lenp, 4) {
		return -eFAULT
	}
	*userU32(lenp) = 0
	return 0
}

// sendCtl is what a sendmsg's control messages carry to the receiver.
type sendCtl struct {
	cred    ucred
	credSet bool
	rights  [maxRightsFDs]int32 // descs
	n       int
}

// read takes the control messages of a sendmsg on so: a Unix socket's
// SCM_CREDENTIALS (any credentials: the one process is root, which Linux
// lets name any) and the descs of SCM_RIGHTS' descriptors (EBADF for one not open, EINVAL for
// more than maxRightsFDs); anything else at SOL_SOCKET, or a malformed
// header, is EINVAL, as on Linux. Other levels' messages (IP options) are
// accepted and have no effect.
func (sc *sendCtl) read(so *socket, ctl, n uint64) int64 {
	if !validUser(ctl, n) {
		return -eFAULT
	}
	for off := uint64(0); off+linux.SizeofCmsghdr <= n; {
		l := *userU64(ctl + off)
		level, typ := *userU32(ctl + off + 8), *userU32(ctl + off + 12)
		if l < linux.SizeofCmsghdr || off+l > n {
			return -eINVAL
		}
		if level == linux.SOL_SOCKET {
			switch {
			case so.family != linux.AF_UNIX:
				return -eINVAL
			case typ == linux.SCM_RIGHTS:
				k := int(l-linux.SizeofCmsghdr) / 4
				if sc.n+k > maxRightsFDs {
					return -eINVAL
				}
				for j := 0; j < k; j++ {
					x, d := fdDesc(int64(int32(*userU32(ctl + off + linux.SizeofCmsghdr + 4*uint64(j)))))
					if x == nil {
						return -eBADF
					}
					sc.rights[sc.n] = d
					sc.n++
				}
			case typ == linux.SCM_CREDENTIALS && l == linux.SizeofCmsghdr+linux.SizeofUcred:
				d := ctl + off + linux.SizeofCmsghdr
				sc.cred, sc.credSet = ucred{*userU32(d), *userU32(d + 4), *userU32(d + 8)}, true
			default:
				return -eINVAL
			}
		}
		off += (l + 7) &^ 7
	}
	return 0
}

// deliver gives socket to (the receiver, or -1 for none) what sc carries:
// the credentials, and the descriptors in flight (ENOTCONN with no
// receiver, ETOOMANYREFS if too many are in flight to it). sched is held.
func (sc *sendCtl) deliver(to int32) int64 {
	switch {
	case to < 0 && sc.n > 0:
		return -int64(linux.ENOTCONN)
	case to < 0:
		return 0
	}
	if sc.credSet {
		sockets[to].cred, sockets[to].credSet = sc.cred, true
	}
	if sc.n > 0 {
		return queueRights(to, sc.rights[:sc.n])
	}
	return 0
}

// recvControl fills the control part and msg_flags of recvmsg's header
// mp (m, as read) for so: a Unix socket with SO_PASSCRED gets its
// sender's credentials (those sent with SCM_CREDENTIALS, else the
// process's: pid 1, uid 0, gid 0), or MSG_CTRUNC if they do not fit;
// msg_flags carries MSG_CMSG_CLOEXEC from the call's flags, as Linux's.
func recvControl(so *socket, mp uint64, m *msghdr, flags uint32) {
	used, mflags := uint64(0), int32(flags&linux.MSG_CMSG_CLOEXEC)
	if so.family == linux.AF_UNIX && so.opts.passCred {
		const clen = linux.SizeofCmsghdr + linux.SizeofUcred
		if m.control != 0 && m.controllen >= clen && validUser(m.control, clen) {
			c := so.cred
			if !so.credSet {
				c = ucred{pid: 1}
			}
			*userU64(m.control) = clen
			*userU32(m.control + 8), *userU32(m.control + 12) = linux.SOL_SOCKET, linux.SCM_CREDENTIALS
			*userU32(m.control + 16), *userU32(m.control + 20), *userU32(m.control + 24) = c.pid, c.uid, c.gid
			used = min((clen+7)&^7, m.controllen)
		} else {
			mflags |= linux.MSG_CTRUNC
		}
	}
	if so.rightsQ > 0 {
		used, mflags = recvRights(so, m, flags, used, mflags)
	}
	*userU64(mp + 40) = used // msg_controllen
	*userU32(mp + 48) = uint32(mflags)
}

// recvRights installs the oldest message's descriptors for recvmsg's
// header m, after used bytes of control data, and returns the control
// length and msg_flags then. sched is held.
func recvRights(so *socket, m *msghdr, flags uint32, used uint64, mflags int32) (uint64, int32) {
	// The oldest message's descriptors: as many as fit get the lowest free
	// fds; the rest are closed, with MSG_CTRUNC, as on Linux.
	q := so.rightsHead
	batch, k := &so.rights[q], int(so.rightsN[q])
	so.rightsHead, so.rightsQ = (q+1)%maxRightsMsgs, so.rightsQ-1
	room := 0
	if m.control != 0 && m.controllen >= used+linux.SizeofCmsghdr {
		room = int(m.controllen-used-linux.SizeofCmsghdr) / 4
	}
	at := m.control + used
	got := 0
	for j := 0; j < k; j++ {
		if j < room && validUser(at+linux.SizeofCmsghdr+4*uint64(j), 4) {
			if fd := installFD(batch[j], flags&linux.MSG_CMSG_CLOEXEC != 0); fd >= 0 {
				descs[batch[j]].refs-- // installFD counted the fd; the flight's reference is that fd's now
				*userU32(at + linux.SizeofCmsghdr + 4*uint64(got)) = uint32(fd)
				got++
				continue
			}
		}
		mflags |= linux.MSG_CTRUNC
		dropInFlight(batch[j])
	}
	if got > 0 {
		l := uint64(linux.SizeofCmsghdr + 4*got)
		*userU64(at) = l
		*userU32(at + 8), *userU32(at + 12) = linux.SOL_SOCKET, linux.SCM_RIGHTS
		used = min(used+(l+7)&^7, m.controllen)
	}
	return used, mflags
}

// queueRights gives socket to the descs of one message's SCM_RIGHTS,
// each referenced while in flight. sched is held.
func queueRights(to int32, ds []int32) int64 {
	so := &sockets[to]
	if so.rightsQ == maxRightsMsgs {
		return -int64(linux.ETOOMANYREFS)
	}
	q := (so.rightsHead + so.rightsQ) % maxRightsMsgs
	for j, d := range ds {
		so.rights[q][j] = d
		descs[d].refs++
	}
	so.rightsN[q] = uint8(len(ds))
	so.rightsQ++
	return 0
}

// dropInFlight drops an in-flight reference to desc d (a message's
// descriptor that no one received). Its last reference ends a desc the
// trap layer serves; a file's stays with its server, which cannot be
// asked from here (a known leak, until the server learns to collect
// them). sched is held.
func dropInFlight(d int32) {
	descs[d].refs--
	if descs[d].refs == 0 && servedHandle(&descs[d]) < 0 {
		releaseDesc(d)
	}
}

// Socket options.

func sysSetsockopt(c *CPU, t *Thread) int64 {
	level, name, val, vlen := argInt(t, 1), argInt(t, 2), argAddr(t, 3), argUint(t, 4)
	sched.lock()
	defer releaseSched(c)
	s, e := sockOf(int64(argInt(t, 0)))
	if s < 0 {
		return e
	}
	o := &sockets[s].opts
	var v int32
	if vlen >= 4 {
		if !validUser(val, 4) {
			return -eFAULT
		}
		v = int32(*userU32(val))
	} else if !(level == linux.SOL_SOCKET && (name == linux.SO_LINGER || name == linux.SO_RCVTIMEO || name == linux.SO_SNDTIMEO)) {
		return -eINVAL
	}
	b := v != 0
	switch level {
	case linux.SOL_SOCKET:
		switch name {
		case linux.SO_REUSEADDR:
			o.reuseAddr = b
		case linux.SO_REUSEPORT:
			o.reusePort = b
		case linux.SO_KEEPALIVE:
			o.keepAlive = b
		case linux.SO_BROADCAST:
			o.broadcast = b
		case linux.SO_PASSCRED:
			o.passCred = b
		case linux.SO_SNDBUF:
			o.sndbuf = min(max(2*v, 4608), 1<<24)
		case linux.SO_RCVBUF:
			o.rcvbuf = min(max(2*v, 2304), 1<<24)
		case linux.SO_RCVLOWAT:
			o.rcvlowat = max(v, 1)
		case linux.SO_SNDLOWAT:
			return -int64(linux.ENOPROTOOPT)
		case linux.SO_LINGER:
			if vlen < 8 || !validUser(val, 8) {
				return -eINVAL
			}
			o.linger = [2]int32{int32(*userU32(val)), int32(*userU32(val + 4))}
		case linux.SO_RCVTIMEO, linux.SO_SNDTIMEO:
			if vlen < 16 || !validUser(val, 16) {
				return -eINVAL
			}
			tv := [2]int64{int64(*userU64(val)), int64(*userU64(val + 8))}
			if name == linux.SO_RCVTIMEO {
				o.rcvtimeo = tv
			} else {
				o.sndtimeo = tv
			}
		case linux.SO_DEBUG, linux.SO_DONTROUTE, linux.SO_OOBINLINE:
		default:
			return -int64(linux.ENOPROTOOPT)
		}
	case linux.IPPROTO_TCP:
		if sockets[s].typ != linux.SOCK_STREAM || sockets[s].family == linux.AF_UNIX {
			return -int64(linux.EOPNOTSUPP)
		}
		switch name {
		case linux.TCP_NODELAY:
			o.noDelay = b
		case linux.TCP_KEEPIDLE, linux.TCP_KEEPINTVL, linux.TCP_KEEPCNT:
			if v < 1 {
				return -eINVAL
			}
			switch name {
			case linux.TCP_KEEPIDLE:
				o.keepIdle = v
			case linux.TCP_KEEPINTVL:
				o.keepIntvl = v
			default:
				o.keepCnt = v
			}
		case linux.TCP_MAXSEG:
			o.maxSeg = v
		default:
			// Other TCP options (congestion control and the like) are
			// accepted and mean nothing on the loopback.
		}
	case linux.IPPROTO_IPV6:
		if sockets[s].family != linux.AF_INET6 {
			return -int64(linux.ENOPROTOOPT)
		}
		if name == linux.IPV6_V6ONLY {
			if sockets[s].bound {
				return -eINVAL
			}
			o.v6only = b
		}
	case linux.IPPROTO_IP:
		if sockets[s].family == linux.AF_UNIX {
			return -int64(linux.ENOPROTOOPT)
		}
	default:
		return -int64(linux.ENOPROTOOPT)
	}
	return 0
}

func sysGetsockopt(c *CPU, t *Thread) int64 {
	level, name, val, lenp := argInt(t, 1), argInt(t, 2), argAddr(t, 3), argAddr(t, 4)
	if !validUser(lenp, 4) {
		return -eFAULT
	}
	sched.lock()
	defer releaseSched(c)
	s, e := sockOf(int64(argInt(t, 0)))
	if s < 0 {
		return e
	}
	so := &sockets[s]
	o := &so.opts
	bi := func(b bool) int64 {
		if b {
			return 1
		}
		return 0
	}
	var v int64
	switch level {
	case linux.SOL_SOCKET:
		switch name {
		case linux.SO_TYPE:
			v = int64(so.typ)
		case linux.SO_ERROR:
			v, so.err = so.err, 0
		case linux.SO_REUSEADDR:
			v = bi(o.reuseAddr)
		case linux.SO_REUSEPORT:
			v = bi(o.reusePort)
		case linux.SO_KEEPALIVE:
			v = bi(o.keepAlive)
		case linux.SO_BROADCAST:
			v = bi(o.broadcast)
		case linux.SO_SNDBUF:
			v = int64(o.sndbuf)
		case linux.SO_RCVBUF:
			v = int64(o.rcvbuf)
		case linux.SO_RCVLOWAT:
			v = int64(o.rcvlowat)
		case linux.SO_SNDLOWAT:
			v = 1
		case linux.SO_ACCEPTCONN:
			v = bi(so.state == sockListening)
		case linux.SO_PROTOCOL:
			v = int64(so.proto)
			if v == 0 && so.family != linux.AF_UNIX {
				v = linux.IPPROTO_TCP
				if so.typ == linux.SOCK_DGRAM {
					v = linux.IPPROTO_UDP
				}
			}
		case linux.SO_DOMAIN:
			v = int64(so.family)
		case linux.SO_LINGER:
			return putOpt(val, lenp, uint64(uint32(o.linger[0]))<<32|uint64(uint32(o.linger[1])), 8)
		default:
			return -int64(linux.ENOPROTOOPT)
		}
	case linux.IPPROTO_TCP:
		switch name {
		case linux.TCP_NODELAY:
			v = bi(o.noDelay)
		case linux.TCP_KEEPIDLE: // what was set, else Linux's defaults
			v = int64(orDefault(o.keepIdle, 7200))
		case linux.TCP_KEEPINTVL:
			v = int64(orDefault(o.keepIntvl, 75))
		case linux.TCP_KEEPCNT:
			v = int64(orDefault(o.keepCnt, 9))
		case linux.TCP_MAXSEG:
			v = 65483
		default:
			return -int64(linux.ENOPROTOOPT)
		}
	case linux.IPPROTO_IPV6:
		if name != linux.IPV6_V6ONLY || so.family != linux.AF_INET6 {
			return -int64(linux.ENOPROTOOPT)
		}
		v = bi(o.v6only)
	default:
		return -int64(linux.ENOPROTOOPT)
	}
	return putOpt(val, lenp, uint64(v), 4)
}

// putOpt writes an option's value of size bytes (4: an int, 8: two ints
// packed high first) to val, with its length at lenp.
func putOpt(val, lenp, v uint64, size int) int64 {
	room := int(*userU32(lenp))
	if room < 0 {
		return -eINVAL
	}
	k := min(room, size)
	if k > 0 {
		if !validUser(val, uint64(k)) {
			return -eFAULT
		}
		var b [8]byte
		if size == 4 {
			b[0], b[1], b[2], b[3] = byte(v>>24), byte(v>>16), byte(v>>8), byte(v)
		} else {
			for i := 0; i < 8; i++ {
				b[i] = byte(v >> (56 - 8*i))
			}
		}
		copy(user(val, k), b[:k])
	}
	*userU32(lenp) = uint32(size)
	return 0
}

// sockStat describes a socket's inode.
func sockStat(s int32) statInfo {
	return statInfo{dev: 0x8, ino: uint64(5000 + s), mode: linux.S_IFSOCK | 0o777, nlink: 1, blksize: 4096}
}

// recordWrite writes n bytes of buf as one record into ring i, whole or
// not at all: a record longer than the ring is EMSGSIZE; one that does
// not fit yet waits (or EAGAIN). sched is held; buf is checked.
func recordWrite(c *CPU, t *Thread, i int32, nonblock bool, buf, n uint64, sigpipe bool) int64 {
	p := &pipes[i]
	if p.readers == 0 {
		return brokenPipe(c, sigpipe)
	}
	need := recordHdr + int(n)
	if need > p.size {
		return -int64(linux.EMSGSIZE)
	}
	if p.size-p.n < need {
		if nonblock {
			return -eAGAIN
		}
		return waitOn(c, t, pipeKey(i, endWrite))
	}
	var h [recordHdr]byte
	h[0], h[1], h[2], h[3] = byte(n>>24), byte(n>>16), byte(n>>8), byte(n)
	ringPut(i, h[:])
	ringPut(i, user(buf, int(n)))
	wakeRestart(pipeKey(i, endRead))
	pipeNotify(i, endRead, linux.EPOLLIN)
	return int64(n)
}

// recordRead reads the next record of ring i into buf: up to n bytes of
// it, the rest discarded (MSG_TRUNC: the record's whole length is
// returned); end of file once no writer is left; MSG_PEEK leaves it.
// sched is held; buf is checked.
func recordRead(c *CPU, t *Thread, i int32, nonblock bool, buf, n uint64, flags uint32) int64 {
	p := &pipes[i]
	if p.n == 0 {
		return emptyRing(c, t, i, nonblock)
	}
	var h [recordHdr]byte
	ringGet(i, h[:], true)
	size := int(h[0])<<24 | int(h[1])<<16 | int(h[2])<<8 | int(h[3])
	k := min(size, int(n))
	if flags&linux.MSG_PEEK != 0 {
		ringPeekAt(i, recordHdr, user(buf, k))
	} else {
		ringSkip(i, recordHdr)
		ringGet(i, user(buf, k), false)
		ringSkip(i, size-k)
		wakeRestart(pipeKey(i, endWrite))
		pipeNotify(i, endWrite, linux.EPOLLOUT)
	}
	if flags&linux.MSG_TRUNC != 0 {
		return int64(size)
	}
	return int64(k)
}

// recordHdr is a record's length header in a SOCK_SEQPACKET ring.
const recordHdr = 4
