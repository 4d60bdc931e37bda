package sockactor

import (
	"bytes"
	"errors"
	"net"
	"syscall"
	"testing"
	"time"
)

// TestSendBatcher: a burst with a datagram too large for UDP in the middle
// and one to an address that cannot be batched: every other datagram
// arrives, in order, and only the bad one reports an error (EMSGSIZE).
func TestSendBatcher(t *testing.T) {
	src, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	dst, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	defer dst.Close()
	b := newSendBatcher(src)
	if b == nil {
		t.Fatal("no batcher for an IPv4 UDP socket")
	}
	to := dst.LocalAddr()
	batch := []Outgoing{
		{Data: []byte("one"), Dst: to},
		{Data: []byte("two"), Dst: to},
		{Data: make([]byte, 70000), Dst: to}, // larger than any UDP datagram
		{Data: []byte("four"), Dst: to},
		{Data: []byte("five"), Dst: stringAddr(to.String())}, // resolved by the single send
		{Data: []byte("six"), Dst: to},
	}
	errs := make([]error, len(batch))
	p := &netPacket{pc: src}
	b.sendAll(batch, errs, p.send)
	for i, err := range errs {
		if i == 2 {
			if !errors.Is(err, syscall.EMSGSIZE) {
				t.Errorf("datagram 2: error %v, want EMSGSIZE", err)
			}
			continue
		}
		if err != nil {
			t.Errorf("datagram %d: %v", i, err)
		}
	}
	dst.SetReadDeadline(time.Now().Add(5 * time.Second))
	buf := make([]byte, 100)
	for _, want := range []string{"one", "two", "four", "five", "six"} {
		n, _, err := dst.ReadFrom(buf)
		if err != nil {
			t.Fatalf("waiting for %q: %v", want, err)
		}
		if !bytes.Equal(buf[:n], []byte(want)) {
			t.Fatalf("got %q, want %q", buf[:n], want)
		}
	}
}

// TestSendBatcherOnlyIPv4: unix datagram sockets (and IPv6 ones, where
// the machine has IPv6) are sent one by one.
func TestSendBatcherOnlyIPv4(t *testing.T) {
	u, err := net.ListenUnixgram("unixgram", &net.UnixAddr{Name: t.TempDir() + "/s", Net: "unixgram"})
	if err != nil {
		t.Fatal(err)
	}
	defer u.Close()
	if newSendBatcher(u) != nil {
		t.Fatal("batcher for a unix datagram socket")
	}
	if c, err := net.ListenUDP("udp6", &net.UDPAddr{IP: net.IPv6loopback}); err == nil {
		defer c.Close()
		if newSendBatcher(c) != nil {
			t.Fatal("batcher for an IPv6 socket")
		}
	}
}

type stringAddr string

func (a stringAddr) Network() string { return "udp" }
func (a stringAddr) String() string  { return string(a) }
