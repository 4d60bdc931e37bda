//go:build !unix

package sockactor

import "net"

// readStream reads up to max bytes from conn.
func readStream(conn net.Conn, max int) ([]byte, error) { return readPlain(conn, max) }

// readPacket receives one datagram; truncated reports one that filled the
// whole buffer.
func readPacket(pc net.PacketConn) ([]byte, net.Addr, bool, error) { return readPacketPlain(pc) }
