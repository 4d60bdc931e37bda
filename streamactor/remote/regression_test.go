package remote_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/actorio/actorio/internal/wire"
	"github.com/actorio/actorio/sim"
	"github.com/actorio/actorio/streamactor"
	"github.com/actorio/actorio/streamactor/remote"
	"github.com/asynkron/protoactor-go/actor"
	"google.golang.org/protobuf/proto"
)

// TestRegressionCloseRepeatedDespiteGap: once the receiving end aborted,
// its link sends its Close again until acknowledged (package doc: "A
// Close (finish or abort) is sent again until acknowledged"), so that
// the sender learns the abort and its cause. A gap left open by the
// aborted stream (an early segment held for a missing one) does not
// matter any more: it must not fail the link with ErrGap, stop it and so
// drop the unacknowledged Close (the sender would then see ErrPeerLost,
// "its link stopped", instead of the receiver's reason). Found in review.
func TestRegressionCloseRepeatedDespiteGap(t *testing.T) {
	o := remote.Options{PingEvery: 100 * time.Millisecond, PeerTimeout: time.Second, GapTimeout: 300 * time.Millisecond}
	now := time.Unix(1000, 0)
	r := remote.NewLink(remote.LinkConfig{Stream: 7, Role: streamactor.RoleReceiver, Sparse: true, MaxSegment: 4096, Options: o, Peer: "node-s"}, now)
	r.FromLocal(&streamactor.Credit{Granted: 100000}, now)
	r.ResetOutput()
	// #1 is lost in transit; #2 waits for it.
	r.FromPeer(&wire.StreamSegment{Stream: 7, Seq: 2, Kind: uint32(streamactor.SegData), Data: []byte("abc"), Cost: streamactor.SegmentCost(3)}, now)
	r.ResetOutput()
	// The consumer aborts; its Close is lost in transit too.
	r.FromLocal(&streamactor.Close{Cause: errors.New("consumer gave up")}, now)
	r.ResetOutput()
	for i := 0; i < 8; i++ {
		now = now.Add(o.PingEvery)
		r.FromPeer(&wire.StreamPing{Stream: 7, Sent: 2 + uint64(i)}, now) // the sender is alive (and sent more)
		r.Tick(now)
		if r.Done() {
			t.Fatalf("tick %d: the link stopped (err %v) before its Close was acknowledged", i, r.Err())
		}
		repeated := false
		for _, m := range r.Output().ToPeer {
			if c, ok := m.(*wire.StreamClose); ok && c.GetCause().GetMessage() == "consumer gave up" {
				repeated = true
			}
		}
		if !repeated {
			t.Fatalf("tick %d: the Close was not sent again: %v", i, r.Output().ToPeer)
		}
		r.ResetOutput()
	}
	r.FromPeer(&wire.StreamCloseAck{Stream: 7}, now)
	if !r.Done() || r.Err() != nil {
		t.Fatalf("after the ack: done %v, err %v; want done without error", r.Done(), r.Err())
	}
}

// uncomparableErr is an error whose type cannot be compared with ==.
type uncomparableErr []string

func (e uncomparableErr) Error() string { return fmt.Sprint([]string(e)) }

// TestRegressionRegisterUncomparable: registering a name twice with
// different errors is an error, and the same error again is harmless
// (RegisterError's doc), whatever the error's type: an error whose type
// cannot be compared with == must not make RegisterError panic (it did:
// "comparing uncomparable type"). Found in review.
func TestRegressionRegisterUncomparable(t *testing.T) {
	defer func() {
		if p := recover(); p != nil {
			t.Fatalf("RegisterError panicked: %v", p)
		}
	}()
	e := uncomparableErr{"a"}
	if err := remote.RegisterError("remote_test.regression.uncomparable", e); err != nil {
		t.Fatalf("first registration: %v", err)
	}
	if err := remote.RegisterError("remote_test.regression.uncomparable", uncomparableErr{"b"}); err == nil {
		t.Fatal("a second, different error under the same name was accepted")
	}
}

// TestRegressionEOFBelowHeldSegment: an end of stream numbered below a
// segment the receiving link holds early (or below the number the
// sender's ping says it reached) is data after the end of the stream: a
// protocol error, as a segment numbered past a known end already is
// (link_recv.go onSegment). Found in review: the link took the end of
// stream #2 while holding #3, delivered #1 and the end once #1 came, and
// the held #3 stayed behind, silently dropped (or failed later as a gap
// that was not one).
func TestRegressionEOFBelowHeldSegment(t *testing.T) {
	o := remote.Options{PingEvery: 100 * time.Millisecond, PeerTimeout: time.Second, GapTimeout: 300 * time.Millisecond}
	now := time.Unix(1000, 0)
	data := func(seq uint64) *wire.StreamSegment {
		return &wire.StreamSegment{Stream: 7, Seq: seq, Kind: uint32(streamactor.SegData), Data: []byte("abc"), Cost: streamactor.SegmentCost(3)}
	}
	eof := func(seq uint64) *wire.StreamSegment {
		return &wire.StreamSegment{Stream: 7, Seq: seq, Kind: uint32(streamactor.SegEOF)}
	}
	for _, tc := range []struct {
		name  string
		input []proto.Message
	}{
		{"held segment, then the end below it", []proto.Message{data(3), eof(2)}},
		{"ping past the end, then the end", []proto.Message{&wire.StreamPing{Stream: 7, Sent: 3}, eof(1)}},
		{"the end, then a ping past it", []proto.Message{eof(1), &wire.StreamPing{Stream: 7, Sent: 2}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := remote.NewLink(remote.LinkConfig{Stream: 7, Role: streamactor.RoleReceiver, Sparse: true, MaxSegment: 4096, Options: o, Peer: "node-s"}, now)
			r.FromLocal(&streamactor.Credit{Granted: 100000}, now)
			r.ResetOutput()
			for _, m := range tc.input {
				r.FromPeer(m, now)
			}
			if !r.Done() || !errors.Is(r.Err(), streamactor.ErrProtocol) {
				t.Fatalf("link done %v, err %v; want a protocol error (data after the end of the stream)", r.Done(), r.Err())
			}
			var told bool
			for _, m := range r.Output().ToLocal {
				if c, ok := m.(*streamactor.Close); ok && errors.Is(c.Cause, streamactor.ErrProtocol) {
					told = true
				}
			}
			if !told {
				t.Fatalf("the local end was not told: %v", r.Output().ToLocal)
			}
		})
	}
}

// fakeDialer stands in for a dialer's link on node "client": it records
// what the service and the service's link say, and acknowledges a Close.
type fakeDialer struct {
	got  []proto.Message
	link *actor.PID // the service's link, once accepted
}

func (d *fakeDialer) Receive(ctx actor.Context) {
	switch m := ctx.Message().(type) {
	case *wire.StreamAccept:
		d.got = append(d.got, m)
		d.link = actor.NewPID(m.GetLinkAddress(), m.GetLinkId())
	case *wire.StreamReject:
		d.got = append(d.got, m)
	case *wire.StreamClose:
		d.got = append(d.got, m)
		if d.link != nil {
			ctx.Send(d.link, &wire.StreamCloseAck{Stream: m.GetStream()})
		}
	}
}

func (d *fakeDialer) rejects() []*wire.StreamReject {
	var out []*wire.StreamReject
	for _, m := range d.got {
		if r, ok := m.(*wire.StreamReject); ok {
			out = append(out, r)
		}
	}
	return out
}

// serviceWorld is a simulated pair of nodes: a service "svc" on "server"
// with handler h, and a fake dialer on "client"; open sends the fake
// dialer's StreamOpen (the same one each time, as a dialer repeats it).
func serviceWorld(t *testing.T, h remote.Handler) (w *sim.World, d *fakeDialer, open func()) {
	t.Helper()
	w = sim.New(1)
	t.Cleanup(func() { _ = w.Close() })
	client, server := w.MustNode("client"), w.MustNode("server")
	if _, err := remote.Serve(server, "svc", h, remote.Options{}); err != nil {
		t.Fatal(err)
	}
	d = &fakeDialer{}
	pid, err := client.Spawn(actor.PropsFromProducer(func() actor.Actor { return d }))
	if err != nil {
		t.Fatal(err)
	}
	msg := &wire.StreamOpen{Stream: 99, LinkAddress: pid.Address, LinkId: pid.Id, DialerSends: true,
		Window: 4 * streamactor.SegmentCost(4096), MaxSegment: 4096}
	return w, d, func() { client.Send(actor.NewPID("server", "svc"), proto.Clone(msg)) }
}

// TestRegressionHandlerFailsAfterAccept: a handler that accepts a stream
// and then returns an error refuses the dial (Handler: "returns an error,
// which the dialer's Dial returns"), and the stream it started is torn
// down at once: its end fails with the handler's error (doc.go: errors
// cross as themselves), instead of staying open until its link notices
// that the refused dialer is gone (PeerTimeout later, if the dialer's
// node is silent). Found in review.
func TestRegressionHandlerFailsAfterAccept(t *testing.T) {
	planted := errors.New("planted: the handler failed after accepting")
	var st *streamactor.Stream
	w, d, open := serviceWorld(t, func(req *remote.Request) error {
		s, err := req.AcceptStream()
		if err != nil {
			return err
		}
		st = s
		return planted
	})
	open()
	if _, err := w.Run(w.For(200 * time.Millisecond)); err != nil {
		t.Fatal(err)
	}
	if rj := d.rejects(); len(rj) != 1 || !strings.Contains(rj[0].GetError().GetMessage(), "planted") {
		t.Fatalf("the dialer got %v, want one refusal with the handler's error", d.got)
	}
	if st == nil {
		t.Fatal("the handler did not run")
	}
	defer func() { _ = st.Free() }()
	stats, err := st.Stats(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if stats.State != streamactor.StateAborted || !errors.Is(stats.Err, planted) {
		t.Fatalf("200ms after the refusal the accepted end is %v with error %v; want aborted with the handler's error", stats.State, stats.Err)
	}
}

// TestRegressionRepeatedOpen: a repeated open (the dialer sends it again
// until answered, and the network may duplicate or delay it) is answered
// as the first one was, without running the handler again (doc.go: "sends
// a StreamOpen to a service ... again until answered"; a handler that
// creates a file or starts a job must run once per dial): a refusal is
// repeated, and an open whose stream is over is refused, for as long as
// such a repeat may come. Found in review: the service forgot a refused
// open at once, and an accepted one when its link stopped, so a late copy
// ran the handler again and started a second stream for nobody.
func TestRegressionRepeatedOpen(t *testing.T) {
	t.Run("refused", func(t *testing.T) {
		calls := 0
		w, d, open := serviceWorld(t, func(req *remote.Request) error {
			calls++
			return errors.New("planted refusal")
		})
		open()
		if _, err := w.Run(w.For(time.Second)); err != nil {
			t.Fatal(err)
		}
		open()
		if _, err := w.Run(w.For(time.Second)); err != nil {
			t.Fatal(err)
		}
		if calls != 1 {
			t.Fatalf("the handler ran %d times for one open sent twice", calls)
		}
		if rj := d.rejects(); len(rj) != 2 || rj[1].GetError().GetMessage() != rj[0].GetError().GetMessage() {
			t.Fatalf("the dialer got %v, want the same refusal twice", d.got)
		}
	})
	t.Run("accepted and over", func(t *testing.T) {
		calls := 0
		var st *streamactor.Stream
		w, d, open := serviceWorld(t, func(req *remote.Request) error {
			calls++
			s, err := req.AcceptStream()
			st = s
			return err
		})
		open()
		if _, err := w.Run(w.For(time.Second)); err != nil {
			t.Fatal(err)
		}
		if calls != 1 || st == nil || d.link == nil {
			t.Fatalf("the handler ran %d times, the dialer got %v", calls, d.got)
		}
		// The service's end aborts; the fake dialer acknowledges the
		// Close, and the service's link stops.
		if err := st.Abort(context.Background()); err != nil {
			t.Fatal(err)
		}
		_ = st.Free()
		if _, err := w.Run(w.For(time.Second)); err != nil {
			t.Fatal(err)
		}
		open() // a late copy of the open
		if _, err := w.Run(w.For(time.Second)); err != nil {
			t.Fatal(err)
		}
		if calls != 1 {
			t.Fatalf("the handler ran %d times for one open sent twice", calls)
		}
		if rj := d.rejects(); len(rj) != 1 || !slices.Contains(rj[0].GetError().GetKinds(), "streamactor.ErrClosed") {
			t.Fatalf("the dialer got %v, want a refusal saying the stream is over", d.got)
		}
		// The decision is forgotten in time: the service's memory is
		// bounded.
		if _, err := w.Run(w.For(time.Minute)); err != nil {
			t.Fatal(err)
		}
		open()
		if _, err := w.Run(w.For(time.Second)); err != nil {
			t.Fatal(err)
		}
		if calls != 2 {
			t.Fatalf("an open long after the first: the handler ran %d times in all, want 2 (the decision forgotten)", calls)
		}
	})
}

// TestRegressionEveryErrorCrosses: every error of streamactor and of this
// package keeps its identity across nodes (codec.go: an error "arrives as
// an *Error that errors.Is matches against the same registered errors of
// the receiving process: streamactor's and this package's errors, ...").
// Found in review: seven were never registered (ErrHole, ErrAttached,
// ErrNotAtEOF, ErrCallbackRegistered, ErrNoCallback, ErrNonBlockAll,
// ErrNoService), so a handler's refusal with, say, ErrAttached arrived as
// bare text.
func TestRegressionEveryErrorCrosses(t *testing.T) {
	for _, e := range []error{
		streamactor.ErrWouldBlock, streamactor.ErrHole, streamactor.ErrClosed, streamactor.ErrAborted,
		streamactor.ErrNotAttached, streamactor.ErrAttached, streamactor.ErrDirection, streamactor.ErrBadHole,
		streamactor.ErrNotSparse, streamactor.ErrBadFlags, streamactor.ErrBadOption, streamactor.ErrBusy,
		streamactor.ErrNotAtEOF, streamactor.ErrCallbackRegistered, streamactor.ErrNoCallback,
		streamactor.ErrNonBlockAll, streamactor.ErrFreed, streamactor.ErrProtocol, streamactor.ErrBadCallback,
		streamactor.ErrLength, streamactor.ErrNoSparseInfo, streamactor.ErrInternal,
		remote.ErrPeerLost, remote.ErrGap, remote.ErrDialTimeout, remote.ErrRejected, remote.ErrNoService, remote.ErrBadConfig,
	} {
		got := remote.DecodeError("node-x", remote.EncodeError(fmt.Errorf("context: %w", e)))
		if !errors.Is(got, e) {
			t.Errorf("%v: after crossing, errors.Is fails (kinds %v)", e, got.(*remote.Error).Kinds)
		}
	}
}

// TestRegressionAcceptAfterHandlerReturned: an Accept called after the
// handler returned (from a goroutine it left behind) fails with
// streamactor.ErrClosed and starts nothing: the dialer has its answer
// already (Handler: it "accepts it with one of its Accept methods, or
// returns an error"). Found in review: it started a link and a stream end
// for a dial that had been refused, which lived until the link's
// PeerTimeout.
func TestRegressionAcceptAfterHandlerReturned(t *testing.T) {
	var kept *remote.Request
	w, d, open := serviceWorld(t, func(req *remote.Request) error {
		kept = req
		return nil // accepts nothing: refused
	})
	open()
	if _, err := w.Run(w.For(200 * time.Millisecond)); err != nil {
		t.Fatal(err)
	}
	if len(d.rejects()) != 1 || kept == nil {
		t.Fatalf("the dialer got %v, want a refusal", d.got)
	}
	st, err := kept.AcceptStream()
	if !errors.Is(err, streamactor.ErrClosed) {
		if st != nil {
			_ = st.Free()
		}
		t.Fatalf("AcceptStream after the handler returned: %v (a stream started: %v); want ErrClosed", err, st != nil)
	}
}

// watchCounter is a stand-in for a stream service on a simulated node:
// a bare protoactor Process that counts the watchers it holds (as an
// actor's context does: Watch adds, Unwatch removes) and answers every
// open with a refusal, or not at all (silent).
type watchCounter struct {
	node     interface{ Send(*actor.PID, any) }
	silent   bool
	watchers map[string]bool
	opens    int
}

func (p *watchCounter) SendUserMessage(_ *actor.PID, message any) {
	open, ok := actor.UnwrapEnvelopeMessage(message).(*wire.StreamOpen)
	if !ok {
		return
	}
	p.opens++
	if !p.silent {
		p.node.Send(actor.NewPID(open.GetLinkAddress(), open.GetLinkId()),
			&wire.StreamReject{Stream: open.GetStream(), Error: remote.EncodeError(errors.New("planted refusal"))})
	}
}

func (p *watchCounter) SendSystemMessage(_ *actor.PID, message any) {
	switch m := message.(type) {
	case *actor.Watch:
		p.watchers[m.Watcher.String()] = true
	case *actor.Unwatch:
		delete(p.watchers, m.Watcher.String())
	}
}

func (p *watchCounter) Stop(*actor.PID) {}

// TestRegressionFailedDialUnwatchesService: a dial that fails (refused,
// or no answer within DialTimeout) leaves no watch on the service
// behind. A dialing link watches the service (to learn that it or its
// node is gone) and, accepted, trades that watch for one on the peer
// link; but a link whose dial failed stopped with the watch still set,
// and an actor that stops does not take back its watches (protoactor
// keeps the watcher in the watched actor's set, and remote's endpoint
// watcher keeps it too). So a long-running service gained one watcher
// entry per refused or timed-out dial, for ever. Found in review.
func TestRegressionFailedDialUnwatchesService(t *testing.T) {
	for _, silent := range []bool{false, true} {
		name := "refused"
		if silent {
			name = "no answer"
		}
		t.Run(name, func(t *testing.T) {
			w := sim.New(1)
			t.Cleanup(func() { _ = w.Close() })
			client, server := w.MustNode("client"), w.MustNode("server")
			svc := &watchCounter{node: server, silent: silent, watchers: map[string]bool{}}
			if _, ok := server.ActorSystem().ProcessRegistry.Add(svc, "svc"); !ok {
				t.Fatal("register the fake service")
			}
			o := remote.Options{DialTimeout: time.Second}
			const dials = 5
			for i := 0; i < dials; i++ {
				_, err := remote.Dial(context.Background(), client, actor.NewPID("server", "svc"), streamactor.RoleSender, "x", o)
				want := remote.ErrRejected
				if silent {
					want = remote.ErrDialTimeout
				}
				if !errors.Is(err, want) {
					t.Fatalf("dial %d: %v; want %v", i, err, want)
				}
			}
			if _, err := w.Run(w.For(time.Second)); err != nil {
				t.Fatal(err)
			}
			if svc.opens < dials {
				t.Fatalf("the service saw %d opens for %d dials", svc.opens, dials)
			}
			if len(svc.watchers) != 0 {
				t.Fatalf("after %d failed dials the service still has %d watchers: %v", dials, len(svc.watchers), svc.watchers)
			}
		})
	}
}
