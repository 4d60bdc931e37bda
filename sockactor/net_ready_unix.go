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

// packetReader returns the receiver a driver goroutine uses for pc: it
// appends to out up to max datagrams (see readPackets).
func packetReader(pc net.PacketConn) func(max int, out []readResult) []readResult {
	raw := rawConn(pc)
	return func(max int, out []readResult) []readResult { return readPackets(pc, raw, max, out) }
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

// readPackets receives datagrams from pc: it waits until the first can
// be read, then takes those already waiting behind it, without waiting,
// until it has max of them or one is an error. A socket closed meanwhile
// gives one result with that error.
func readPackets(pc net.PacketConn, raw syscall.RawConn, max int, out []readResult) []readResult {
	if raw == nil {
		return append(out, readPacketPlain(pc))
	}
	network := packetNetwork(pc)
	if err := raw.Read(func(fd uintptr) bool {
		r := recvOnce(fd, network)
		if r.wouldBlock {
			return false // wait for readiness, then again
		}
		out = append(out, r)
		for len(out) < max && r.err == nil {
			if r = recvOnce(fd, network); r.wouldBlock {
				break
			}
			out = append(out, r)
		}
		return true
	}); err != nil {
		return append(out[:0], readResult{err: err})
	}
	return out
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
