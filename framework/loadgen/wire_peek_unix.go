//go:build unix

package loadgen

import (
	"errors"
	"net"
	"syscall"
)

// peeker looks at a connection's socket without reading from it. It is made
// once per connection so that a look costs no allocation.
type peeker struct {
	rc   syscall.RawConn
	look func(fd uintptr) bool
	err  error
	b    [1]byte
}

// newPeeker returns a peeker for c, or nil when c's socket cannot be reached.
func newPeeker(c net.Conn) *peeker {
	sc, ok := c.(syscall.Conn)
	if !ok {
		return nil
	}
	rc, err := sc.SyscallConn()
	if err != nil {
		return nil
	}
	p := &peeker{rc: rc}
	p.look = func(fd uintptr) bool {
		_, _, p.err = syscall.Recvfrom(int(fd), p.b[:], syscall.MSG_PEEK|syscall.MSG_DONTWAIT)
		return true // never wait for readiness
	}
	return p
}

// quiet reports whether a read would wait: bytes waiting, an orderly close
// (0 bytes, no error) or a socket error all make the connection not quiet.
// A nil peeker (a connection it cannot inspect) is quiet.
func (p *peeker) quiet() bool {
	if p == nil {
		return true
	}
	if err := p.rc.Read(p.look); err != nil {
		return false
	}
	return errors.Is(p.err, syscall.EAGAIN) || errors.Is(p.err, syscall.EWOULDBLOCK)
}
