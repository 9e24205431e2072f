//go:build unix

package loadgen

import (
	"errors"
	"net"
	"syscall"
)

// socketQuiet peeks at the socket without blocking: it is quiet when a read
// would wait. Bytes waiting, an orderly close or an error all make it not
// quiet. A connection that cannot be inspected counts as quiet.
func socketQuiet(c net.Conn) bool {
	sc, ok := c.(syscall.Conn)
	if !ok {
		return true
	}
	rc, err := sc.SyscallConn()
	if err != nil {
		return true
	}
	var b [1]byte
	var rerr error
	cerr := rc.Read(func(fd uintptr) bool {
		_, _, rerr = syscall.Recvfrom(int(fd), b[:], syscall.MSG_PEEK|syscall.MSG_DONTWAIT)
		return true // never wait for readiness
	})
	// Only "would block" is quiet: a byte, an orderly close (0 bytes, no
	// error) or a socket error all retire the connection.
	return cerr == nil && (errors.Is(rerr, syscall.EAGAIN) || errors.Is(rerr, syscall.EWOULDBLOCK))
}
