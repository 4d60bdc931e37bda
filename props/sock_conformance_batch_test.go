package props

import (
	"bytes"
	"context"
	"encoding/binary"
	"math/rand/v2"
	"syscall"
	"testing"
	"time"

	"github.com/actorio/actorio/sockactor"
)

// The conformance cases of ReadPDUs, the batch PDU read (ours: no seed
// equivalent), run on both transports with the others.
func init() { streamCases = append(streamCases, batchCases...) }

var batchCases = []streamCase{
	{"batch-pdus-intact-any-split", func(t *testing.T, ctx context.Context, env SockEnv, cl, sv *sockactor.Conn) {
		// inv 1, 2, 11, 13 for batches: PDUs written whole, split and
		// coalesced come back identical, in order, between single
		// queued reads, each batch within its maximum.
		rng := rand.New(rand.NewPCG(3, 4))
		var bodies [][]byte
		for i := 0; i < 200; i++ {
			body := make([]byte, []int{0, 1, 3, 100, 3000}[i%5])
			for j := range body {
				body[j] = byte(rng.IntN(256))
			}
			bodies = append(bodies, body)
			wire := framed(body)
			cut := rng.IntN(len(wire) + 1)
			cl.WritevQueue(wire[:cut], wire[cut:])
		}
		f := sockactor.LengthPrefixed(4, 1<<20)
		got, batches := 0, 0
		for got < len(bodies) {
			if batches%3 == 2 {
				single := sockactor.LengthPrefixed(4, 1<<20)
				if _, err := sv.ReadPDUQueue(single.Next).Wait(ctx); err != nil || !bytes.Equal(single.Body(), bodies[got]) {
					t.Fatalf("single read of PDU %d: %v", got, err)
				}
				got++
				batches++
				continue
			}
			max := 1 + batches%7
			pdus, err := sv.ReadPDUs(f, max).Wait(ctx)
			if err != nil || len(pdus) == 0 || len(pdus) > max {
				t.Fatalf("batch %d: %d PDUs (max %d), %v", batches, len(pdus), max, err)
			}
			for _, p := range pdus {
				if got >= len(bodies) || !bytes.Equal(p, framed(bodies[got])) {
					t.Fatalf("PDU %d differs", got)
				}
				got++
			}
			batches++
		}
	}},
	{"batch-stops-before-bad-length", func(t *testing.T, ctx context.Context, env SockEnv, cl, sv *sockactor.Conn) {
		// inv 14 for batches: the good PDUs before a length over the
		// maximum are delivered; the next read gets EMSGSIZE, sticky.
		wire := append(append(framed([]byte("a")), framed([]byte("bb"))...), 0, 0, 1, 0)
		_, err := cl.Writev(wire, make([]byte, 256)).Wait(ctx)
		must(t, err)
		f := sockactor.LengthPrefixed(4, 255)
		var got []string
		for len(got) < 2 {
			pdus, err := sv.ReadPDUs(f, 0).Wait(ctx)
			must(t, err)
			for _, p := range pdus {
				got = append(got, string(p[4:]))
			}
		}
		if len(got) != 2 || got[0] != "a" || got[1] != "bb" {
			t.Fatalf("good PDUs: %q", got)
		}
		_, err = sv.ReadPDUs(f, 0).Wait(ctx)
		wantErrno(t, "batch at the bad length", err, syscall.EMSGSIZE)
		_, err = sv.ReadPDUs(sockactor.LengthPrefixed(4, 1000), 0).Wait(ctx)
		wantErrno(t, "batch after EMSGSIZE (poisoned)", err, syscall.EMSGSIZE)
	}},
	{"batch-eof-mid-pdu", func(t *testing.T, ctx context.Context, env SockEnv, cl, sv *sockactor.Conn) {
		// inv 15, 16 for batches: never a short PDU; EPIPE after the
		// whole ones.
		wire := append(append(framed([]byte("one")), framed([]byte("two"))...), framed([]byte("three"))[:6]...)
		_, err := cl.Writev(wire).Wait(ctx)
		must(t, err)
		cl.Close()
		f := sockactor.LengthPrefixed(4, 100)
		n := 0
		for {
			pdus, err := sv.ReadPDUs(f, 0).Wait(ctx)
			if err != nil {
				wantErrno(t, "batch at the cut PDU", err, syscall.EPIPE)
				break
			}
			n += len(pdus)
		}
		if n != 2 {
			t.Fatalf("%d whole PDUs delivered, want 2", n)
		}
	}},
	{"batch-cancel-before-start-clean", func(t *testing.T, ctx context.Context, env SockEnv, cl, sv *sockactor.Conn) {
		// inv 18, 19 for batches
		f1, f2, f3 := sockactor.LengthPrefixed(4, 100), sockactor.LengthPrefixed(4, 100), sockactor.LengthPrefixed(4, 100)
		r1 := sv.ReadPDUQueue(f1.Next)
		r2 := sv.ReadPDUs(f2, 0)
		r3 := sv.ReadPDUs(f3, 0)
		r2.Cancel()
		_, err := r2.Wait(ctx)
		wantErrno(t, "cancelled queued batch", err, syscall.ECANCELED)
		_, err = cl.Writev(framed([]byte("a")), framed([]byte("b"))).Wait(ctx)
		must(t, err)
		if _, err := r1.Wait(ctx); err != nil || string(f1.Body()) != "a" {
			t.Fatalf("r1: %v %q", err, f1.Body())
		}
		pdus, err := r3.Wait(ctx)
		if err != nil || len(pdus) == 0 || string(pdus[0][4:]) != "b" {
			t.Fatalf("r3 after a cancelled batch: %v %q", err, pdus)
		}
	}},
	{"batch-retry-after-timeout-same-frame", func(t *testing.T, ctx context.Context, env SockEnv, cl, sv *sockactor.Conn) {
		// inv 18 for batches: a batch that times out before any byte
		// came leaves the stream clean, and retrying it with the same
		// Frame reads the next PDUs from their headers (the Frame held
		// the previous PDU's header and a retry decoded it: fixed).
		f := sockactor.LengthPrefixed(4, 100)
		_, err := cl.Writev(framed([]byte("abc"))).Wait(ctx)
		must(t, err)
		if pdus, err := sv.ReadPDUs(f, 0).Wait(ctx); err != nil || len(pdus) != 1 {
			t.Fatalf("first batch: %q, %v", pdus, err)
		}
		_, err = sv.WithTimeout(time.Millisecond).ReadPDUs(f, 0).Wait(ctx)
		wantErrno(t, "batch on a quiet stream", err, syscall.ETIMEDOUT)
		_, err = cl.Writev(framed([]byte("x")), framed([]byte("yz"))).Wait(ctx)
		must(t, err)
		var got []string
		for len(got) < 2 {
			pdus, err := sv.ReadPDUs(f, 0).Wait(ctx)
			must(t, err)
			for _, p := range pdus {
				got = append(got, string(p))
			}
		}
		if len(got) != 2 || got[0] != string(framed([]byte("x"))) || got[1] != string(framed([]byte("yz"))) {
			t.Fatalf("retry with the same frame: %q", got)
		}
	}},
	{"batch-frame-variants", func(t *testing.T, ctx context.Context, env SockEnv, cl, sv *sockactor.Conn) {
		// inv 1, 2 for batches, with framings other than a 4-byte
		// prefix: a little-endian length counting the whole PDU
		// (Adjust -Header) and a 24-byte header with the length at
		// offset 8; header-only PDUs among the others.
		for _, v := range []struct {
			f   *sockactor.Frame
			pdu func(body []byte) []byte
		}{
			{&sockactor.Frame{Header: 6, Offset: 2, Width: 4, Order: binary.LittleEndian, Adjust: -6, Max: 1 << 16},
				func(b []byte) []byte {
					return append(binary.LittleEndian.AppendUint32([]byte{0xaa, 0xbb}, uint32(6+len(b))), b...)
				}},
			{sockactor.HeaderLength(24, 8, 4, 1<<16),
				func(b []byte) []byte {
					h := bytes.Repeat([]byte{0x55}, 24)
					binary.BigEndian.PutUint32(h[8:], uint32(len(b)))
					return append(h, b...)
				}},
		} {
			var want []string
			var wire []byte
			for i := 0; i < 60; i++ {
				p := v.pdu(bytes.Repeat([]byte{byte(i)}, []int{0, 1, 0, 17, 300}[i%5]))
				want = append(want, string(p))
				wire = append(wire, p...)
			}
			_, err := cl.Writev(wire).Wait(ctx)
			must(t, err)
			var got []string
			for len(got) < len(want) {
				pdus, err := sv.ReadPDUs(v.f, 1<<30).Wait(ctx)
				must(t, err)
				for _, p := range pdus {
					got = append(got, string(p))
				}
			}
			for i := range want {
				if i >= len(got) || got[i] != want[i] {
					t.Fatalf("header %d: PDU %d differs", v.f.Header, i)
				}
			}
		}
	}},
}
