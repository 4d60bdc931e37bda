package remote_test

import (
	"errors"
	"testing"

	"github.com/actorio/actorio/internal/wire"
	"github.com/actorio/actorio/streamactor"
	"github.com/actorio/actorio/streamactor/remote"
)

// TestNegotiateRefusesNonPositiveWindow: a dialer's open asking for a
// window of zero or less is refused with ErrBadConfig, whichever way the
// data flows. A window of -1 used to be taken as "the default window" by
// streamactor.Window, so a peer could open a stream with a window it
// never asked for (Negotiate must return the dialer's window, lowered to
// the service's limit, or refuse).
func TestNegotiateRefusesNonPositiveWindow(t *testing.T) {
	o := remote.Options{MaxMessage: 1 << 20, MaxWindow: 64 << 20}
	for _, window := range []int64{-1, 0, -streamactor.DefaultWindow} {
		for _, dialerSends := range []bool{false, true} {
			m := &wire.StreamOpen{Stream: 1, DialerSends: dialerSends, Window: window, MaxSegment: 4096}
			_, cfg, err := remote.Negotiate(m, o)
			if !errors.Is(err, remote.ErrBadConfig) {
				t.Errorf("window %d, dialer sends %v: negotiated %+v, %v; want ErrBadConfig", window, dialerSends, cfg, err)
			}
		}
	}
	// A valid window is kept as asked (the dialer receives: no limit
	// applies here).
	want := 3 * streamactor.SegmentCost(4096)
	_, cfg, err := remote.Negotiate(&wire.StreamOpen{Stream: 1, Window: want, MaxSegment: 4096}, o)
	if err != nil || cfg.Window != want {
		t.Fatalf("window %d: %+v, %v", want, cfg, err)
	}
}

// TestNegotiateZeroOptionsTakeDefaults: Options' zero value takes the
// defaults (its doc says so), also for Negotiate: a valid open
// negotiated with Options{} is accepted, and a receiving service end's
// window is lowered to the default MaxWindow. Negotiate used the zero
// MaxMessage and refused every open ("does not fit in a message of 0
// bytes"), so FuzzNegotiate, which passes Options{}, only ever saw
// refusals.
func TestNegotiateZeroOptionsTakeDefaults(t *testing.T) {
	want := 3 * streamactor.SegmentCost(4096)
	role, cfg, err := remote.Negotiate(&wire.StreamOpen{Stream: 1, Window: want, MaxSegment: 4096, Sparse: true}, remote.Options{})
	if err != nil || role != streamactor.RoleSender || cfg.Window != want || cfg.MaxSegment != 4096 || !cfg.Sparse {
		t.Fatalf("Options{}: %v %+v, %v", role, cfg, err)
	}
	role, cfg, err = remote.Negotiate(&wire.StreamOpen{Stream: 1, DialerSends: true, Window: 1 << 40, MaxSegment: 4096}, remote.Options{})
	if err != nil || role != streamactor.RoleReceiver || cfg.Window != 64<<20 {
		t.Fatalf("Options{}, a large window to a receiving service: %v %+v, %v; want the default MaxWindow %d", role, cfg, err, 64<<20)
	}
}
