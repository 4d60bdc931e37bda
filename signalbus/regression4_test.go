package signalbus_test

import (
	"context"
	"encoding/json"
	"errors"
	"testing"
	"time"

	"github.com/actorio/actorio/signalbus"
)

// TestRegressionServeAgainAfterClose: a server closed and served again
// under the same name (a restart of the server without a restart of its
// node) takes connections again. Found in review: Server.Close only asks
// the server actor to stop, so a Serve right after it failed with "name
// exists" and the bus could not be served again until the old actor had
// gone, which a caller cannot observe.
func TestRegressionServeAgainAfterClose(t *testing.T) {
	p := newPair(t, 41)
	ctx := context.Background()
	rec := newRecorder()
	if _, err := p.rs.Connect(ctx, rec.slot(nil)); err != nil {
		t.Fatal(err)
	}
	p.srv.Close()
	srv, err := signalbus.Serve(p.busA)
	if err != nil {
		t.Fatalf("Serve after Close: %v", err)
	}
	p.run(t, 100*time.Millisecond)
	h, err := p.rs.Connect(ctx, rec.slot(nil))
	if err != nil {
		t.Fatalf("connect to the new server: %v", err)
	}
	_ = p.sig.Emit(blockIO{Device: "a", N: 1}, "a")
	p.run(t, 100*time.Millisecond)
	if got := rec.of(h); len(got) != 1 || got[0] != "a/1" {
		t.Fatalf("the new server's connection got %v", got)
	}
	st, err := srv.Stats(ctx)
	if err != nil || len(st.Conns) != 1 {
		t.Fatalf("new server stats %+v, %v", st, err)
	}
	p.close(t)
}

// TestRegressionServerForgetsStoppedClient: when a subscriber's bus
// closes and both its goodbye (the SignalDisconnect) and the Terminated
// of its client actor are lost on the way (a short one-way partition),
// the server still removes the connection once the events it sends go
// unacknowledged, and counts what was lost; it does not keep a
// connection, a queue on the signal and resends for a client that is
// gone, forever. Found in review: the server watched the client only
// once, when it first connected, and nothing else ended such a
// connection while the subscriber's node stayed up.
func TestRegressionServerForgetsStoppedClient(t *testing.T) {
	p := newPair(t, 42)
	ctx := context.Background()
	if _, err := p.rs.Connect(ctx, newRecorder().slot(nil)); err != nil {
		t.Fatal(err)
	}
	if err := p.w.Partition("b", "a", true); err != nil {
		t.Fatal(err)
	}
	p.busB.Close()
	p.run(t, 100*time.Millisecond)
	if err := p.w.Mend("b", "a"); err != nil {
		t.Fatal(err)
	}
	for i := 1; i <= 5; i++ {
		_ = p.sig.Emit(blockIO{Device: "a", N: i}, "a")
	}
	p.run(t, 10*time.Second)
	st, err := p.srv.Stats(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(st.Conns) != 0 || st.Peers != 0 || st.PeersLost != 1 || st.LostInFlight != 5 {
		t.Fatalf("server after its subscriber went: %+v", st)
	}
	if n := p.localConns(t); n != 0 {
		t.Fatalf("the signal keeps %d connections for a subscriber that is gone", n)
	}
	p.close(t)
}

// touchy is an event type whose decoder has a bug: it panics on N 13.
type touchy struct{ N int }

func (x *touchy) UnmarshalJSON(b []byte) error {
	var v struct {
		N int `json:"n"`
	}
	if err := json.Unmarshal(b, &v); err != nil {
		return err
	}
	if v.N == 13 {
		panic("a bug in the event type's JSON method")
	}
	x.N = v.N
	return nil
}

// TestRegressionRemoteDecodePanicEndsOnlyItsConnection: an event whose
// value makes the subscriber's decoder (its type's UnmarshalJSON) panic
// is refused as one that does not decode (ErrBadEvent) and ends its own
// connection; the bus's other remote connections go on. Found in review:
// the panic failed the bus's client actor, whose restart ended every
// remote connection of the bus (ErrClosed) for one bad event, which any
// peer could send.
func TestRegressionRemoteDecodePanicEndsOnlyItsConnection(t *testing.T) {
	p := newPair(t, 43)
	ctx := context.Background()
	rt, err := signalbus.Remote[touchy](p.busB, "a", "BlockIOEvent")
	if err != nil {
		t.Fatal(err)
	}
	lost := map[signalbus.Handle]error{}
	onLost := signalbus.OnLost(func(h signalbus.Handle, err error) { lost[h] = err })
	var got []int
	h1, err := rt.Connect(ctx, signalbus.FuncSlot(func(_ context.Context, ev *signalbus.Event[touchy]) { got = append(got, ev.Value.N) }),
		signalbus.Arg("device", "x"), onLost)
	if err != nil {
		t.Fatal(err)
	}
	rec := newRecorder()
	h2, err := p.rs.Connect(ctx, rec.slot(nil), signalbus.Arg("device", "y"), onLost)
	if err != nil {
		t.Fatal(err)
	}
	_ = p.sig.Emit(blockIO{Device: "x", N: 13}, "x")
	p.run(t, 100*time.Millisecond)
	_ = p.sig.Emit(blockIO{Device: "y", N: 1}, "y")
	p.run(t, 100*time.Millisecond)
	if len(got) != 0 || !errors.Is(lost[h1], signalbus.ErrBadEvent) {
		t.Fatalf("the connection with the bad event: got %v, lost %v", got, lost[h1])
	}
	if lost[h2] != nil || len(rec.of(h2)) != 1 {
		t.Fatalf("the other connection: got %v, lost %v", rec.of(h2), lost[h2])
	}
	if f := p.busB.System().Stats().Failures; f != 0 {
		t.Fatalf("%d actor failures on the subscriber's node", f)
	}
	st, err := p.busB.RemoteStats(ctx)
	if err != nil || st.Refused != 1 || st.Open != 1 {
		t.Fatalf("client stats %+v, %v", st, err)
	}
	p.close(t)
}

// brittle is an event type whose encoder has a bug: it panics on N 13.
type brittle struct{ N int }

func (x brittle) MarshalJSON() ([]byte, error) {
	if x.N == 13 {
		panic("a bug in the event type's JSON method")
	}
	return json.Marshal(map[string]int{"n": x.N})
}

// TestRegressionRemoteEncodePanicEndsOnlyItsConnection: on the signal's
// node, a value whose MarshalJSON panics ends the remote connections it
// was to be sent on, not the server (whose restart would end every
// remote connection it serves, those of other signals included).
func TestRegressionRemoteEncodePanicEndsOnlyItsConnection(t *testing.T) {
	p := newPair(t, 44)
	ctx := context.Background()
	bad, err := signalbus.NewSignal[brittle](p.busA, "BrittleEvent")
	if err != nil {
		t.Fatal(err)
	}
	rb, _ := signalbus.Remote[brittle](p.busB, "a", "BrittleEvent")
	lost := map[signalbus.Handle]error{}
	onLost := signalbus.OnLost(func(h signalbus.Handle, err error) { lost[h] = err })
	h1, err := rb.Connect(ctx, signalbus.FuncSlot(func(context.Context, *signalbus.Event[brittle]) {}), onLost)
	if err != nil {
		t.Fatal(err)
	}
	rec := newRecorder()
	h2, err := p.rs.Connect(ctx, rec.slot(nil), onLost)
	if err != nil {
		t.Fatal(err)
	}
	_ = bad.Emit(brittle{N: 13})
	p.run(t, 100*time.Millisecond)
	_ = p.sig.Emit(blockIO{Device: "y", N: 1}, "y")
	p.run(t, 100*time.Millisecond)
	if lost[h1] == nil || lost[h2] != nil || len(rec.of(h2)) != 1 {
		t.Fatalf("lost %v; the other connection got %v", lost, rec.of(h2))
	}
	if f := p.busA.System().Stats().Failures; f != 0 {
		t.Fatalf("%d actor failures on the signal's node", f)
	}
	p.close(t)
}
