package remote_test

import (
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/actorio/actorio/internal/wire"
	"github.com/actorio/actorio/streamactor"
	"github.com/actorio/actorio/streamactor/remote"
	"google.golang.org/protobuf/proto"
)

// The decoders of what a peer sends: errors, opens, and the links' whole
// input. Their seed corpora run as ordinary tests.

func marshal(m proto.Message) []byte {
	b, err := proto.Marshal(m)
	if err != nil {
		panic(err)
	}
	return b
}

func FuzzDecodeError(f *testing.F) {
	f.Add(marshal(remote.EncodeError(streamactor.ErrAborted)))
	f.Add(marshal(&wire.StreamError{Message: "x", Kinds: []string{"errno:28", "errno:-1", "errno:99999", "nope", ""}}))
	f.Add(marshal(&wire.StreamError{Message: strings.Repeat("é", 5000)}))
	f.Add([]byte{0x0a, 0x02, 0xff, 0xfe}) // invalid UTF-8
	f.Fuzz(func(t *testing.T, b []byte) {
		var w wire.StreamError
		if proto.Unmarshal(b, &w) != nil {
			return
		}
		err := remote.DecodeError("peer:1", &w)
		e, ok := err.(*remote.Error)
		if !ok {
			t.Fatalf("decoded %T", err)
		}
		if len(e.Msg) > remote.MaxErrorText || !utf8.ValidString(e.Msg) || len(e.Kinds) > remote.MaxErrorKinds {
			t.Fatalf("unbounded or invalid: %d bytes, %d kinds", len(e.Msg), len(e.Kinds))
		}
		// What a relay sends on must marshal.
		if _, merr := proto.Marshal(remote.EncodeError(err)); merr != nil {
			t.Fatalf("re-encoding: %v", merr)
		}
	})
}

func FuzzNegotiate(f *testing.F) {
	f.Add(marshal(&wire.StreamOpen{Stream: 1, DialerSends: true, Window: 1 << 20, MaxSegment: 256 << 10}))
	f.Add(marshal(&wire.StreamOpen{Stream: 1, Window: -5, MaxSegment: 1 << 40}))
	f.Add(marshal(&wire.StreamOpen{Stream: 1, DialerSends: true, Window: 1 << 62, MaxSegment: 512, Sparse: true}))
	f.Fuzz(func(t *testing.T, b []byte) {
		var m wire.StreamOpen
		if proto.Unmarshal(b, &m) != nil {
			return
		}
		o := remote.Options{}
		role, cfg, err := remote.Negotiate(&m, o)
		if err != nil {
			return
		}
		if role != streamactor.RoleSender && role != streamactor.RoleReceiver {
			t.Fatalf("role %v", role)
		}
		if _, err := streamactor.NewConfig(streamactor.Window(cfg.Window), streamactor.MaxSegment(cfg.MaxSegment)); err != nil {
			t.Fatalf("negotiated an invalid configuration %+v: %v", cfg, err)
		}
		if role == streamactor.RoleReceiver && cfg.Window > 64<<20 {
			t.Fatalf("window %d above the service's limit", cfg.Window)
		}
	})
}

// FuzzLinkInput feeds a receiving and a sending link arbitrary wire
// messages: nothing panics, the receiving end only ever gets segments in
// order, and early segments stay within the credit granted.
func FuzzLinkInput(f *testing.F) {
	seq := func(kind byte, m proto.Message) []byte {
		return append([]byte{kind, byte(len(marshal(m)))}, marshal(m)...)
	}
	data := func(n uint64) *wire.StreamSegment {
		return &wire.StreamSegment{Stream: 9, Seq: n, Kind: 1, Data: []byte("abc"), Cost: streamactor.SegmentCost(3)}
	}
	var good []byte
	for i := uint64(1); i <= 4; i++ {
		good = append(good, seq(0, data(i))...)
	}
	f.Add(good)
	f.Add(append(append(seq(0, data(2)), seq(0, data(1))...), seq(0, data(2))...))
	f.Add(append(seq(3, &wire.StreamPing{Stream: 9, Sent: 7, Granted: 1 << 40}), seq(1, &wire.StreamCredit{Stream: 9, Granted: 1 << 20})...))
	f.Add(append(seq(2, &wire.StreamClose{Stream: 9, Cause: &wire.StreamError{Message: "no"}}), seq(4, &wire.StreamCloseAck{Stream: 9})...))
	f.Add(seq(0, &wire.StreamSegment{Stream: 9, Seq: 1, Kind: 2, Hole: -4, Cost: 64}))
	f.Fuzz(func(t *testing.T, b []byte) {
		now := time.Unix(0, 0)
		o := remote.Options{PingEvery: 10 * time.Millisecond, PeerTimeout: 50 * time.Millisecond, GapTimeout: 20 * time.Millisecond}
		r := remote.NewLink(remote.LinkConfig{Stream: 9, Role: streamactor.RoleReceiver, Sparse: true, MaxSegment: 4096, Options: o, Peer: "p"}, now)
		s := remote.NewLink(remote.LinkConfig{Stream: 9, Role: streamactor.RoleSender, Sparse: true, MaxSegment: 4096, Options: o, Peer: "p"}, now)
		const window = 10000
		r.FromLocal(&streamactor.Credit{Granted: window}, now)
		next := uint64(1)
		for len(b) >= 2 {
			kind, n := b[0], int(b[1])
			b = b[2:]
			n = min(n, len(b))
			payload := b[:n]
			b = b[n:]
			var m proto.Message
			switch kind % 6 {
			case 0:
				m = &wire.StreamSegment{}
			case 1:
				m = &wire.StreamCredit{}
			case 2:
				m = &wire.StreamClose{}
			case 3:
				m = &wire.StreamPing{}
			case 4:
				m = &wire.StreamCloseAck{}
			case 5:
				now = now.Add(time.Duration(n) * time.Millisecond)
				r.Tick(now)
				s.Tick(now)
				continue
			}
			if proto.Unmarshal(payload, m) != nil {
				continue
			}
			r.FromPeer(m, now)
			s.FromPeer(m, now)
			for _, out := range r.Output().ToLocal {
				if seg, ok := out.(*streamactor.Segment); ok {
					if seg.Seq != next {
						t.Fatalf("delivered #%d, want #%d", seg.Seq, next)
					}
					next++
				}
			}
			if r.Stats().PendingCost > window {
				t.Fatalf("holds %d early, window %d", r.Stats().PendingCost, window)
			}
			r.ResetOutput()
			s.ResetOutput()
		}
	})
}
