package linux

// Sockets: families, types, options and the address structures, as
// Linux defines them for ppc64 (the abi test checks every name x/sys/unix
// also has). PowerPC numbers a few SOL_SOCKET options differently from
// other architectures (SO_RCVLOWAT and on).

const (
	AF_UNSPEC = 0
	AF_UNIX   = 1
	AF_INET   = 2
	AF_INET6  = 10

	SOCK_STREAM    = 1
	SOCK_DGRAM     = 2
	SOCK_RAW       = 3
	SOCK_SEQPACKET = 5
	SOCK_NONBLOCK  = 0x800
	SOCK_CLOEXEC   = 0x80000

	IPPROTO_IP   = 0
	IPPROTO_TCP  = 6
	IPPROTO_UDP  = 17
	IPPROTO_IPV6 = 41

	SOL_SOCKET = 1

	SO_DEBUG      = 1
	SO_REUSEADDR  = 2
	SO_TYPE       = 3
	SO_ERROR      = 4
	SO_DONTROUTE  = 5
	SO_BROADCAST  = 6
	SO_SNDBUF     = 7
	SO_RCVBUF     = 8
	SO_KEEPALIVE  = 9
	SO_OOBINLINE  = 10
	SO_LINGER     = 13
	SO_REUSEPORT  = 15
	SO_RCVLOWAT   = 16
	SO_SNDLOWAT   = 17
	SO_RCVTIMEO   = 18
	SO_SNDTIMEO   = 19
	SO_PASSCRED   = 20
	SO_PEERCRED   = 21
	SO_ACCEPTCONN = 30
	SO_PROTOCOL   = 38
	SO_DOMAIN     = 39

	TCP_NODELAY   = 1
	TCP_MAXSEG    = 2
	TCP_KEEPIDLE  = 4
	TCP_KEEPINTVL = 5
	TCP_KEEPCNT   = 6

	IPV6_V6ONLY = 26

	SHUT_RD   = 0
	SHUT_WR   = 1
	SHUT_RDWR = 2

	MSG_OOB      = 0x1
	MSG_PEEK     = 0x2
	MSG_TRUNC    = 0x20
	MSG_DONTWAIT = 0x40
	MSG_WAITALL  = 0x100
	MSG_NOSIGNAL = 0x4000
	MSG_CTRUNC   = 0x8

	MSG_CMSG_CLOEXEC = 0x40000000

	// Control messages (level SOL_SOCKET).
	SCM_RIGHTS      = 1
	SCM_CREDENTIALS = 2
	SizeofCmsghdr   = 16 // len (8), level, type
	SizeofUcred     = 12 // pid, uid, gid

	SizeofSockaddrInet4 = 16
	SizeofSockaddrInet6 = 28
	SizeofSockaddrUnix  = 110
	SizeofMsghdr        = 56
)
