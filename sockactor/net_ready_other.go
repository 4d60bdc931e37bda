//go:build !unix

package sockactor

import "net"

// streamReader returns the reader a driver goroutine uses for conn (its
// chunks are not pooled).
func streamReader(conn net.Conn) (read func(max int) ([]byte, error), free func([]byte)) {
	return func(max int) ([]byte, error) { return readPlain(conn, max) }, nil
}

// packetReader returns the receiver a driver goroutine uses for pc.
func packetReader(pc net.PacketConn) func() ([]byte, net.Addr, bool, error) {
	return func() ([]byte, net.Addr, bool, error) { return readPacketPlain(pc) }
}
