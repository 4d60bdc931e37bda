package sockactor

import "net"

// plainChunk caps a plain read, whose buffer an idle socket holds.
const plainChunk = 64 << 10

// readPlain reads up to max bytes (at most plainChunk) from conn the
// plain way: the buffer is held for as long as the read blocks, so it is
// kept smaller than a readiness-based read's.
func readPlain(conn net.Conn, max int) ([]byte, error) {
	buf := make([]byte, min(max, plainChunk))
	n, err := conn.Read(buf)
	if n == 0 {
		return nil, err
	}
	return buf[:n:n], err
}

// readPacketPlain receives one datagram from pc the plain way; truncated
// reports a datagram that filled the whole buffer (it was cut).
func readPacketPlain(pc net.PacketConn) readResult {
	buf := make([]byte, recvBuffer)
	n, src, err := pc.ReadFrom(buf)
	if err != nil {
		return readResult{src: src, err: err}
	}
	if n == len(buf) {
		return readResult{src: src, truncated: true}
	}
	return readResult{data: buf[:n:n], src: src}
}

// readResult is what one non-blocking read or receive found.
type readResult struct {
	data       []byte
	src        net.Addr
	truncated  bool // a datagram filled the whole buffer (it was cut)
	err        error
	wouldBlock bool // nothing there yet
}
