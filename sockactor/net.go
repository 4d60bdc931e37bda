package sockactor

// This file is the real Transport's entry points. The sockets it opens
// are owned by driver goroutines (net_stream.go, net_packet.go,
// net_listen.go) that talk to their actor only through its Sink; it is
// allowlisted in internal/detguard for the binds (io).

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"syscall"
)

// Net is the real Transport: TCP, UDP and unix stream and datagram
// sockets from package net, each owned by driver goroutines.
type Net struct {
	// Dialer, when set, is used for connects (local address, keepalive,
	// control hooks).
	Dialer *net.Dialer
}

// RealTransport returns the real Transport.
func RealTransport() Transport { return &Net{} }

func streamNetwork(network string) bool {
	switch network {
	case "tcp", "tcp4", "tcp6", "unix":
		return true
	}
	return false
}

// Connect implements Transport.
func (t *Net) Connect(network, addr string, sink Sink) (Stream, error) {
	if !streamNetwork(network) {
		return nil, errf("connect", syscall.EAFNOSUPPORT, "network %q is not a stream network (tcp, tcp4, tcp6, unix)", network)
	}
	d := t.Dialer
	if d == nil {
		d = &net.Dialer{}
	}
	s := newNetStream(nil)
	s.sink = sink
	ctx, cancel := context.WithCancel(context.Background())
	s.cancel = cancel
	s.wg.Add(1)
	go s.dial(ctx, d, network, addr)
	return s, nil
}

// Listen implements Transport.
func (t *Net) Listen(network, addr string, cfg ListenConfig) (ListenEndpoint, error) {
	if !streamNetwork(network) {
		return nil, errf("listen", syscall.EAFNOSUPPORT, "network %q is not a stream network (tcp, tcp4, tcp6, unix)", network)
	}
	l, err := net.Listen(network, addr)
	if err != nil && network == "unix" && errors.Is(err, syscall.EADDRINUSE) {
		if why := removeStaleSocket(addr); why == "" {
			l, err = net.Listen(network, addr)
		} else {
			err = errf("listen", syscall.EADDRINUSE, "unix socket %s %s: %w", addr, why, err)
		}
	}
	if err != nil {
		return nil, err
	}
	// An abstract socket ("@name", Linux) or an autobound one ("") has no
	// file to chmod: Mode is ignored (it used to fail the listen, found in
	// review).
	if network == "unix" && cfg.Mode != 0 && addr != "" && addr[0] != '@' {
		if err := os.Chmod(addr, cfg.Mode); err != nil {
			l.Close()
			return nil, err
		}
	}
	return newNetListener(l), nil
}

// removeStaleSocket removes the unix socket file at path if nobody
// listens on it (a connect is refused): one a listener that died left
// behind, which would fail every later bind with EADDRINUSE. A file that
// is not a socket, an abstract name, or a socket that answers (or fails
// otherwise) is left alone. It returns "" if it removed the file, else
// why not, for the error.
func removeStaleSocket(path string) (why string) {
	if path == "" || path[0] == '@' {
		return "is an abstract name in use"
	}
	fi, err := os.Lstat(path)
	switch {
	case err != nil:
		return fmt.Sprintf("could not be checked (%v)", err)
	case fi.Mode()&os.ModeSocket == 0:
		return "exists and is not a socket"
	}
	c, err := net.Dial("unix", path)
	switch {
	case err == nil:
		c.Close()
		return "is in use by a live listener"
	case !errors.Is(err, syscall.ECONNREFUSED):
		return fmt.Sprintf("could not be checked for a live listener (%v)", err)
	}
	if err := os.Remove(path); err != nil {
		return fmt.Sprintf("was left by a listener that is gone but could not be removed (%v)", err)
	}
	return ""
}

// ListenPacket implements Transport.
func (t *Net) ListenPacket(network, addr string) (Packet, error) {
	switch network {
	case "udp", "udp4", "udp6", "unixgram":
	default:
		return nil, errf("listen", syscall.EAFNOSUPPORT, "network %q is not a datagram network (udp, udp4, udp6, unixgram)", network)
	}
	pc, err := net.ListenPacket(network, addr)
	if err != nil {
		return nil, err
	}
	return newNetPacket(pc), nil
}

// resolve turns a destination address of any net.Addr implementation into
// one the real socket takes.
// A unix address whose Net is not "unixgram" ("" or "unix": package net
// refuses those on a datagram socket with EAFNOSUPPORT, although only
// the name counts) is taken for its name.
func resolve(pc net.PacketConn, dst net.Addr) (net.Addr, error) {
	_, unix := pc.(*net.UnixConn)
	switch a := dst.(type) {
	case *net.UnixAddr:
		if unix && a.Net != "unixgram" {
			return &net.UnixAddr{Name: a.Name, Net: "unixgram"}, nil
		}
		return dst, nil
	case *net.UDPAddr:
		return dst, nil
	}
	if unix {
		return net.ResolveUnixAddr("unixgram", dst.String())
	}
	return net.ResolveUDPAddr("udp", dst.String())
}
