package props

import (
	"bytes"
	"context"
	"math/rand/v2"
	"syscall"
	"testing"

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
}
