package sockactor_test

import (
	"bytes"
	"encoding/binary"
	"errors"
	"math"
	"net"
	"runtime"
	"syscall"
	"testing"

	"github.com/actorio/actorio/sockactor"
)

// fillFrame drives f's Next as a PDU read would, filling each vector from
// src; it returns what Next asked for in total and the largest vector.
func fillFrame(t *testing.T, f *sockactor.Frame, src []byte) (asked, largest int) {
	t.Helper()
	for {
		vec, err := f.Next()
		if err != nil {
			t.Fatalf("Next after %d bytes: %v", asked, err)
		}
		if len(vec) == 0 {
			return asked, largest
		}
		for _, v := range vec {
			if asked+len(v) > len(src) {
				t.Fatalf("Next asks for %d bytes past the %d of the PDU", asked+len(v)-len(src), len(src))
			}
			copy(v, src[asked:])
			asked += len(v)
			largest = max(largest, len(v))
		}
	}
}

// TestFrameBodyGrowsAsItArrives: a length field is believed only as far
// as bytes come. Next used to allocate the whole announced body at once,
// so a peer's 0xFFFFFFFF under a Frame whose Max means "no limit" cost
// 4 GiB before the socket's MaxPDU refused the read. A long body is now
// asked for in pieces (the first at most 1 MiB, each as long as what came
// before it), and arrives whole and exact.
func TestFrameBodyGrowsAsItArrives(t *testing.T) {
	body := make([]byte, 5<<20+3)
	for i := range body {
		body[i] = byte(i * 7)
	}
	pdu := binary.BigEndian.AppendUint32(nil, uint32(len(body)))
	pdu = append(pdu, body...)
	f := sockactor.LengthPrefixed(4, math.MaxInt)
	asked, _ := fillFrame(t, f, pdu)
	if asked != len(pdu) || !bytes.Equal(f.PDU(), pdu) || !bytes.Equal(f.Body(), body) {
		t.Fatalf("asked for %d of %d bytes; PDU equal: %v", asked, len(pdu), bytes.Equal(f.PDU(), pdu))
	}

	// The first body vector after a header announcing 4 GiB is 1 MiB.
	f = sockactor.LengthPrefixed(4, math.MaxInt)
	hdr, err := f.Next()
	if err != nil {
		t.Fatal(err)
	}
	binary.BigEndian.PutUint32(hdr[0], math.MaxUint32)
	vec, err := f.Next()
	if err != nil || len(vec) != 1 || len(vec[0]) != 1<<20 {
		t.Fatalf("first body vector: %d vectors, %v", len(vec), err)
	}

	// A small PDU is still one buffer of its own.
	f = sockactor.LengthPrefixed(2, 100)
	if _, largest := fillFrame(t, f, []byte{0, 3, 'a', 'b', 'c'}); largest != 3 || string(f.Body()) != "abc" {
		t.Fatalf("small PDU: %q (largest vector %d)", f.Body(), largest)
	}

	// A header too big for a fixed header is EINVAL, not a huge
	// allocation (or a makeslice panic).
	f = sockactor.HeaderLength(math.MaxInt/2, 0, 4, 10)
	if _, err := f.Next(); !errors.Is(err, syscall.EINVAL) {
		t.Fatalf("huge header: %v, want EINVAL", err)
	}
}

// TestFrameClaimCostsOnlyWhatArrives: over a real socket, a peer that
// announces a 4 GiB PDU to a Frame without a limit of its own, then
// sends more than the socket's MaxPDU, gets EMSGSIZE having cost memory
// in proportion to MaxPDU, not to its claim.
func TestFrameClaimCostsOnlyWhatArrives(t *testing.T) {
	sys, ctx := realSys(t)
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	const maxPDU = 4 << 20
	c, err := sockactor.Dial(ctx, sys, sockactor.RealTransport(), "tcp", l.Addr().String(),
		sockactor.WithStreamConfig(sockactor.StreamConfig{MaxPDU: maxPDU}))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	peer, err := l.Accept()
	if err != nil {
		t.Fatal(err)
	}
	defer peer.Close()
	go func() {
		peer.Write([]byte{0xff, 0xff, 0xff, 0xff})
		chunk := make([]byte, 1<<20)
		for i := 0; i < 2*maxPDU/len(chunk); i++ {
			if _, err := peer.Write(chunk); err != nil {
				return
			}
		}
	}()
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	_, err = c.ReadPDU(sockactor.LengthPrefixed(4, math.MaxInt).Next).Wait(ctx)
	runtime.ReadMemStats(&after)
	if !errors.Is(err, syscall.EMSGSIZE) {
		t.Fatalf("ReadPDU of a 4 GiB claim: %v, want EMSGSIZE", err)
	}
	if got := after.TotalAlloc - before.TotalAlloc; got > 64*maxPDU {
		t.Fatalf("the claim cost %d MiB of allocations (MaxPDU %d MiB)", got>>20, maxPDU>>20)
	}
}
