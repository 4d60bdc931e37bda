package sockactor

// This file is the real Transport's entry points. The sockets it opens
// are owned by driver goroutines (net_stream.go, net_packet.go,
// net_listen.go) that talk to their actor only through its Sink; it is
// allowlisted in internal/detguard for the binds (io).

import (
	"context"
	"net"
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
	return listenStream(network, addr, cfg)
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
