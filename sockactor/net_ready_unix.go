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
var readBuffers = sync.Pool{New: func() any { b := make([]byte, recvBuffer); return &b }}

// readStream reads up to max bytes from conn once it is readable. A
// connection that cannot expose its descriptor is read the plain way.
func readStream(conn net.Conn, max int) ([]byte, error) {
	sc, ok := conn.(syscall.Conn)
	if !ok || max <= 0 || max > recvBuffer {
		return readPlain(conn, max)
	}
	raw, err := sc.SyscallConn()
	if err != nil {
		return readPlain(conn, max)
	}
	var data []byte
	var rerr error
	err = raw.Read(func(fd uintptr) bool {
		bp := readBuffers.Get().(*[]byte)
		defer readBuffers.Put(bp)
		for {
			n, err := syscall.Read(int(fd), (*bp)[:max])
			switch {
			case err == syscall.EINTR:
				continue
			case err == syscall.EAGAIN:
				return false // not readable after all: wait again
			case err != nil:
				rerr = os.NewSyscallError("read", err)
			case n == 0:
				rerr = io.EOF
			default:
				data = append(make([]byte, 0, n), (*bp)[:n]...)
			}
			return true
		}
	})
	if err != nil {
		return nil, err // closed meanwhile
	}
	return data, rerr
}

// readPacket receives one datagram from pc once it is readable; truncated
// reports a datagram that filled the whole buffer (it was cut).
func readPacket(pc net.PacketConn) (data []byte, src net.Addr, truncated bool, err error) {
	sc, ok := pc.(syscall.Conn)
	if !ok {
		return readPacketPlain(pc)
	}
	raw, err := sc.SyscallConn()
	if err != nil {
		return readPacketPlain(pc)
	}
	network := "udp"
	if _, unix := pc.(*net.UnixConn); unix {
		network = "unixgram"
	}
	var rerr error
	err = raw.Read(func(fd uintptr) bool {
		bp := readBuffers.Get().(*[]byte)
		defer readBuffers.Put(bp)
		for {
			n, sa, err := syscall.Recvfrom(int(fd), *bp, 0)
			switch {
			case err == syscall.EINTR:
				continue
			case err == syscall.EAGAIN:
				return false
			case err != nil:
				rerr = os.NewSyscallError("recvfrom", err)
				return true
			}
			src = sockaddrToAddr(sa, network)
			if n == len(*bp) {
				truncated = true
				return true
			}
			data = append(make([]byte, 0, n), (*bp)[:n]...)
			return true
		}
	})
	if err != nil {
		return nil, nil, false, err
	}
	return data, src, truncated, rerr
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
