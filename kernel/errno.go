package kernel

import "k42/kernel/linux"

// The errnos handlers return, as the positive values a handler negates
// (return -eBADF). They are Linux's (kernel/linux), named once here so
// that handlers read like Linux's own code.
const (
	ePERM     = int64(linux.EPERM)
	eNOENT    = int64(linux.ENOENT)
	eSRCH     = int64(linux.ESRCH)
	eINTR     = int64(linux.EINTR)
	eBADF     = int64(linux.EBADF)
	eAGAIN    = int64(linux.EAGAIN)
	eNOMEM    = int64(linux.ENOMEM)
	eFAULT    = int64(linux.EFAULT)
	eEXIST    = int64(linux.EEXIST)
	eNODEV    = int64(linux.ENODEV)
	eINVAL    = int64(linux.EINVAL)
	eNFILE    = int64(linux.ENFILE)
	eMFILE    = int64(linux.EMFILE)
	eNOTTY    = int64(linux.ENOTTY)
	eSPIPE    = int64(linux.ESPIPE)
	eRANGE    = int64(linux.ERANGE)
	eBUSY     = int64(linux.EBUSY)
	eNOSPC    = int64(linux.ENOSPC)
	eNOSYS    = int64(linux.ENOSYS)
	eTIMEDOUT = int64(linux.ETIMEDOUT)
	eIO       = int64(linux.EIO)
)
