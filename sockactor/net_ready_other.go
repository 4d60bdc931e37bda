//go:build !unix

package sockactor

import "net"

// streamReader returns the reader a driver goroutine uses for conn (its
// chunks are not pooled).
func streamReader(conn net.Conn) (read func(max int) ([]byte, error), free func([]byte)) {
	return func(max int) ([]byte, error) { return readPlain(conn, max) }, nil
}

// packetReader returns the receiver a driver goroutine uses for pc: one
// datagram at a time.
func packetReader(pc net.PacketConn) func(max int, out []readResult) []readResult {
	return func(_ int, out []readResult) []readResult {
		return append(out, readPacketPlain(pc))
	}
}
