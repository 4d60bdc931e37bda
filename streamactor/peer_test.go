package streamactor_test

import (
	"bytes"
	"errors"
	"io"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/actorio/actorio/actors"
	"github.com/actorio/actorio/streamactor"
	"github.com/asynkron/protoactor-go/actor"
)

type (
	setEnds struct{ a, b *actor.PID }
	loseA   struct{ cause error }
)

// newRelayPair makes a sending and a receiving end joined by a relay.
func newRelayPair(t *testing.T, sys *actors.System, opts ...streamactor.Option) (w, r *streamactor.Stream, relay *actor.PID) {
	t.Helper()
	relay, err := sys.Spawn(actor.PropsFromProducer(func() actor.Actor { return &directedRelay{} }))
	if err != nil {
		t.Fatal(err)
	}
	w, err = streamactor.NewPeer(sys, streamactor.RoleSender, relay, opts...)
	if err != nil {
		t.Fatal(err)
	}
	r, err = streamactor.NewPeer(sys, streamactor.RoleReceiver, relay, opts...)
	if err != nil {
		t.Fatal(err)
	}
	sys.Send(relay, &setEnds{a: w.PID(), b: r.PID()})
	return w, r, relay
}

// directedRelay is the smallest transport: one actor that is the peer
// of two ends (made by NewPeer, or file drivers), passing each end's
// protocol messages to the other, as a pair of links would across nodes.
// It routes by kind: segments to the receiving end b, credit to the
// sending end a, a finishing Close to a, an abort to both (each ignores
// its own); messages before setEnds wait. loseA closes a as a transport
// that lost its peer would.
type directedRelay struct {
	a, b  *actor.PID
	early []any
}

func (d *directedRelay) Receive(ctx actor.Context) {
	switch m := ctx.Message().(type) {
	case *setEnds:
		d.a, d.b = m.a, m.b
		for _, e := range d.early {
			d.route(ctx, e)
		}
		d.early = nil
	case *loseA:
		ctx.Send(d.a, &streamactor.Close{Lost: true, Cause: m.cause})
	case *streamactor.Segment, *streamactor.Credit, *streamactor.Close:
		if d.a == nil {
			d.early = append(d.early, m)
			return
		}
		d.route(ctx, m)
	}
}

func (d *directedRelay) route(ctx actor.Context, m any) {
	switch m := m.(type) {
	case *streamactor.Segment:
		ctx.Send(d.b, m)
	case *streamactor.Credit:
		ctx.Send(d.a, m)
	case *streamactor.Close:
		if m.Finished {
			ctx.Send(d.a, m)
			return
		}
		// An abort: tell both (each ignores its own).
		ctx.Send(d.a, m)
		ctx.Send(d.b, m)
	}
}

// TestNewPeer: two ends made by NewPeer, joined by an actor of ours,
// move a sparse payload and finish; AbortWith's reason reaches the peer.
func TestNewPeer(t *testing.T) {
	sys := realSys(t)
	ctx := ctxT(t)
	w, r, _ := newRelayPair(t, sys, streamactor.Sparse(), streamactor.MaxSegment(4096), streamactor.Window(3*streamactor.SegmentCost(4096)))
	payload := bytes.Repeat([]byte("0123456789"), 5000)
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		if _, err := w.Send(ctx, payload); err != nil {
			t.Error(err)
		}
		if err := w.SendHole(ctx, 7777, 0); err != nil {
			t.Error(err)
		}
		if err := w.Finish(ctx); err != nil {
			t.Errorf("finish: %v", err)
		}
	}()
	got, err := io.ReadAll(r)
	if err != nil {
		t.Fatal(err)
	}
	if err := r.Finish(ctx); err != nil {
		t.Fatal(err)
	}
	wg.Wait()
	if !bytes.Equal(got[:len(payload)], payload) || len(got) != len(payload)+7777 {
		t.Fatalf("got %d bytes", len(got))
	}

	w2, r2, _ := newRelayPair(t, sys)
	boom := errors.New("relayed reason")
	if err := w2.AbortWith(ctx, boom); err != nil {
		t.Fatal(err)
	}
	if _, err := r2.Recv(ctx, make([]byte, 4)); !errors.Is(err, boom) || !errors.Is(err, streamactor.ErrAborted) {
		t.Fatalf("the peer saw %v", err)
	}
	if _, err := streamactor.NewPeer(sys, streamactor.RoleSender, nil); !errors.Is(err, streamactor.ErrBadOption) {
		t.Fatalf("nil peer: %v", err)
	}
	if _, err := streamactor.NewPeer(sys, streamactor.RoleNone, w2.PID()); !errors.Is(err, streamactor.ErrBadOption) {
		t.Fatalf("no role: %v", err)
	}
}

// TestCloseLost: a transport that lost the peer closes an end with its
// own error, which the end returns as is (not as the peer's abort).
func TestCloseLost(t *testing.T) {
	sys := realSys(t)
	ctx := ctxT(t)
	w, _, relay := newRelayPair(t, sys)
	lost := errors.New("peer n2 lost: its node is gone")
	if _, err := w.Send(ctx, []byte("x")); err != nil {
		t.Fatal(err)
	}
	sys.Send(relay, &loseA{cause: lost})
	err := w.Finish(ctx)
	if !errors.Is(err, lost) || errors.Is(err, streamactor.ErrAborted) {
		t.Fatalf("finish after the peer was lost: %v", err)
	}
}

// TestFileSinkCommitDiscard: a sink's Commit runs after the data is
// synced and before the sender's Finish returns; its error fails the
// Finish; Discard runs when a sink ends without committing.
func TestFileSinkCommitDiscard(t *testing.T) {
	sys := realSys(t)
	ctx := ctxT(t)
	dir := t.TempDir()
	upload := func(name string, commit func(tmp string) error, abort bool) (error, bool) {
		tmp := filepath.Join(dir, name+".tmp")
		f, err := os.Create(tmp)
		if err != nil {
			t.Fatal(err)
		}
		st, err := streamactor.New(sys, streamactor.Sparse())
		if err != nil {
			t.Fatal(err)
		}
		defer st.Free()
		discarded := make(chan struct{})
		err = streamactor.AttachFileSink(st, streamactor.OSFile(f), streamactor.FileOptions{
			Commit:  func() error { return commit(tmp) },
			Discard: func() { os.Remove(tmp); close(discarded) },
		})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := st.Send(ctx, []byte("hello")); err != nil {
			t.Fatal(err)
		}
		if abort {
			if err := st.Abort(ctx); err != nil {
				t.Fatal(err)
			}
			<-discarded
			return nil, true
		}
		err = st.Finish(ctx)
		if err == nil {
			select {
			case <-discarded: // a bug: a committed upload discarded
				return nil, true
			default:
				return nil, false
			}
		}
		// A failed commit is reported only after Discard ran.
		select {
		case <-discarded:
			return err, true
		default:
			return err, false
		}
	}
	final := filepath.Join(dir, "final")
	err, discarded := upload("a", func(tmp string) error { return os.Rename(tmp, final) }, false)
	if err != nil || discarded {
		t.Fatalf("commit: finish %v, discarded %v", err, discarded)
	}
	if got, _ := os.ReadFile(final); string(got) != "hello" {
		t.Fatalf("the committed file holds %q", got)
	}
	planted := errors.New("rename refused")
	err, discarded = upload("b", func(string) error { return planted }, false)
	if !errors.Is(err, planted) || !discarded {
		t.Fatalf("a failed commit: finish %v, discarded %v", err, discarded)
	}
	if _, err := os.Stat(filepath.Join(dir, "b.tmp")); !os.IsNotExist(err) {
		t.Fatalf("a failed commit left its file (%v)", err)
	}
	if _, discarded = upload("c", func(string) error { t.Error("committed an aborted upload"); return nil }, true); !discarded {
		t.Fatal("an aborted upload was not discarded")
	}
}

// TestStartFileSinkSource: file drivers facing a peer actor instead of a
// Stream: a source's stream goes into a sink through the relay.
func TestStartFileSinkSource(t *testing.T) {
	sys := realSys(t)
	dir := t.TempDir()
	src, dst := filepath.Join(dir, "src"), filepath.Join(dir, "dst")
	dense := writeSparse(t, src, 3<<20, map[int64][]byte{4096: bytes.Repeat([]byte("a"), 9000), 2 << 20: []byte("tail")})
	in, err := os.Open(src)
	if err != nil {
		t.Fatal(err)
	}
	out, err := os.Create(dst)
	if err != nil {
		t.Fatal(err)
	}
	relay, err := sys.Spawn(actor.PropsFromProducer(func() actor.Actor { return &directedRelay{} }))
	if err != nil {
		t.Fatal(err)
	}
	committed := make(chan struct{})
	opts := []streamactor.Option{streamactor.Sparse()}
	source, err := streamactor.StartFileSource(sys, streamactor.OSFile(in), streamactor.FileOptions{}, relay, opts...)
	if err != nil {
		t.Fatal(err)
	}
	sink, err := streamactor.StartFileSink(sys, streamactor.OSFile(out), streamactor.FileOptions{Commit: func() error { close(committed); return nil }}, relay, opts...)
	if err != nil {
		t.Fatal(err)
	}
	sys.Send(relay, &setEnds{a: source, b: sink})
	select {
	case <-committed:
	case <-ctxT(t).Done():
		t.Fatal("the sink never committed")
	}
	got, err := os.ReadFile(dst)
	if err != nil || !bytes.Equal(got, dense) {
		t.Fatalf("dst differs (%v)", err)
	}
	if _, err := streamactor.StartFileSink(sys, nil, streamactor.FileOptions{}, relay); !errors.Is(err, streamactor.ErrBadOption) {
		t.Fatalf("nil file: %v", err)
	}
	if _, err := streamactor.StartFileSource(sys, streamactor.OSFile(in), streamactor.FileOptions{}, nil); !errors.Is(err, streamactor.ErrBadOption) {
		t.Fatalf("nil peer: %v", err)
	}
}
