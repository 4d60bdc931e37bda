//go:build unix

package sockactor

// Reads that hold no buffer while they wait. Go's Read and ReadFrom need
// their buffer for as long as they block, so every idle socket with a read
// pending kept up to 64 KiB. Here the driver goroutine waits for the
// descriptor to become readable (syscall.RawConn.Read calls back when it
// is), and only then takes a pooled buffer, reads without blocking, and
// copies out exactly what arrived.

import (
	"io"
	"net"
	"os"
	"sync"
	"syscall"
)

// readBuffers are the buffers reads use between readiness and copy-out.
var readBuffers = sync.Pool{New: func() any { b := make([]byte, readBufferSize); return &b }}

// readBufferSize holds a datagram (recvBuffer) or a stream read
// (DefaultReadChunk), whichever is larger.
const readBufferSize = max(recvBuffer, DefaultReadChunk)

// rawConn returns the descriptor access of c, if it has one.
func rawConn(c any) syscall.RawConn {
	sc, ok := c.(syscall.Conn)
	if !ok {
		return nil
	}
	raw, err := sc.SyscallConn()
	if err != nil {
		return nil
	}
	return raw
}

// readResult is what one non-blocking read or receive found.
type readResult struct {
	data       []byte
	src        net.Addr
	truncated  bool // a datagram filled the whole buffer (it was cut)
	err        error
	wouldBlock bool // nothing there yet
}

// readOnce reads up to max bytes from fd without waiting.
func readOnce(fd uintptr, max int) (r readResult) {
	bp := readBuffers.Get().(*[]byte)
	defer readBuffers.Put(bp)
	for {
		n, err := syscall.Read(int(fd), (*bp)[:max])
		switch {
		case err == syscall.EINTR:
			continue
		case err == syscall.EAGAIN:
			r.wouldBlock = true
		case err != nil:
			r.err = os.NewSyscallError("read", err)
		case n == 0:
			r.err = io.EOF
		default:
			r.data = takeChunk((*bp)[:n])
		}
		return r
	}
}

// recvOnce receives one datagram from fd without waiting. A unix
// datagram can be larger than any UDP payload (its sender's SO_SNDBUF
// bounds it): one that would not fit recvBuffer is received into a
// buffer of its own size, learnt first (peekDatagramSize), and so is not
// cut; the socket then applies its MaxDatagram.
func recvOnce(fd uintptr, network string) (r readResult) {
	bp := readBuffers.Get().(*[]byte)
	defer readBuffers.Put(bp)
	buf, own := (*bp)[:recvBuffer], false
	if network == "unixgram" {
		size, err := peekDatagramSize(fd)
		switch {
		case err == syscall.EAGAIN:
			r.wouldBlock = true
			return r
		case err == nil && size >= recvBuffer:
			buf, own = make([]byte, size+1), true
		}
	}
	for {
		n, sa, err := syscall.Recvfrom(int(fd), buf, 0)
		switch {
		case err == syscall.EINTR:
			continue
		case err == syscall.EAGAIN:
			r.wouldBlock = true
		case err != nil:
			r.err = os.NewSyscallError("recvfrom", err)
		case n == len(buf):
			r.src, r.truncated = sockaddrToAddr(sa, network), true
		case own:
			r.src, r.data = sockaddrToAddr(sa, network), buf[:n:n]
		default:
			r.src = sockaddrToAddr(sa, network)
			r.data = detach(buf[:n])
		}
		return r
	}
}

// streamReader returns the reader a driver goroutine uses for conn, and
// what takes its chunks back once consumed (nil: they are not pooled). It
// takes conn's descriptor access once (each SyscallConn call allocates).
func streamReader(conn net.Conn) (read func(max int) ([]byte, error), free func([]byte)) {
	raw := rawConn(conn)
	if raw == nil {
		// Plain reads hand out slices of their own buffers, which are
		// not the pool's.
		return func(max int) ([]byte, error) { return readPlain(conn, max) }, nil
	}
	return func(max int) ([]byte, error) { return readStream(conn, raw, max) }, freeChunk
}

// packetReader returns the receiver a driver goroutine uses for pc.
func packetReader(pc net.PacketConn) func() ([]byte, net.Addr, bool, error) {
	raw := rawConn(pc)
	return func() ([]byte, net.Addr, bool, error) { return readPacket(pc, raw) }
}

// readStream reads up to max bytes (at most readBufferSize at once) from
// conn once it is readable. A connection that cannot expose its
// descriptor (raw == nil) is read the plain way. Every chunk it returns
// is either the pool's (takeChunk) or a buffer of exactly its length
// smaller than the pool's smallest class, so freeChunk never takes in a
// slice of some larger array.
func readStream(conn net.Conn, raw syscall.RawConn, max int) ([]byte, error) {
	if raw == nil {
		return readPlain(conn, max)
	}
	if max <= 0 || max > readBufferSize {
		max = readBufferSize
	}
	var r readResult
	if err := raw.Read(func(fd uintptr) bool {
		r = readOnce(fd, max)
		return !r.wouldBlock // false: wait for readiness, then again
	}); err != nil {
		return nil, err // closed meanwhile
	}
	return r.data, r.err
}

// readPacket receives one datagram from pc once it is readable.
func readPacket(pc net.PacketConn, raw syscall.RawConn) (data []byte, src net.Addr, truncated bool, err error) {
	if raw == nil {
		return readPacketPlain(pc)
	}
	network := packetNetwork(pc)
	var r readResult
	if err := raw.Read(func(fd uintptr) bool {
		r = recvOnce(fd, network)
		return !r.wouldBlock
	}); err != nil {
		return nil, nil, false, err
	}
	return r.data, r.src, r.truncated, r.err
}

func packetNetwork(pc net.PacketConn) string {
	if _, unix := pc.(*net.UnixConn); unix {
		return "unixgram"
	}
	return "udp"
}

func sockaddrToAddr(sa syscall.Sockaddr, network string) net.Addr {
	switch a := sa.(type) {
	case *syscall.SockaddrInet4:
		return &net.UDPAddr{IP: append(net.IP(nil), a.Addr[:]...), Port: a.Port}
	case *syscall.SockaddrInet6:
		addr := &net.UDPAddr{IP: append(net.IP(nil), a.Addr[:]...), Port: a.Port}
		if a.ZoneId != 0 {
			if ifi, err := net.InterfaceByIndex(int(a.ZoneId)); err == nil {
				addr.Zone = ifi.Name
			}
		}
		return addr
	case *syscall.SockaddrUnix:
		return &net.UnixAddr{Name: a.Name, Net: network}
	}
	return nil
}
