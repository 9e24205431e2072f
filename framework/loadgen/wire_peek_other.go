//go:build !unix

package loadgen

import "net"

// socketQuiet cannot peek at a socket on this platform; only bytes already
// buffered by the client mark a connection as not quiet there.
func socketQuiet(net.Conn) bool { return true }
