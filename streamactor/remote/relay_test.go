package remote_test

import (
	"context"
	"io"
	"strings"
	"sync"

	"github.com/actorio/actorio/streamactor"
	"github.com/pkg/errors"
)

// relays pairs the two halves of each relay (relay-in:K and relay-out:K)
// and runs them: what arrives on the first goes out on the second. With
// it, a stream whose both handles are in the test process crosses to a
// peer process and back, so that the conformance suite, which drives
// both ends, checks remote ends in both directions.
type relays struct {
	mu   sync.Mutex
	half map[string]*streamactor.Stream
}

func newRelays() *relays { return &relays{half: map[string]*streamactor.Stream{}} }

func (r *relays) add(meta string, st *streamactor.Stream) {
	dir, key, _ := strings.Cut(meta, ":")
	other := "relay-in"
	if dir == "relay-in" {
		other = "relay-out"
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	peer, ok := r.half[other+":"+key]
	if !ok {
		r.half[meta] = st
		return
	}
	delete(r.half, other+":"+key)
	in, out := st, peer
	if dir == "relay-out" {
		in, out = peer, st
	}
	go relay(in, out)
}

// relay moves in to out, holes as holes, and passes errors on either way:
// the end of in finishes out first, then in (so that the first sender's
// Finish returns only once the last receiver finished); an error on one
// side aborts the other with it as the reason.
func relay(in, out *streamactor.Stream) {
	defer in.Free()
	defer out.Free()
	ctx := context.Background()
	buf := make([]byte, in.Config().MaxSegment)
	var flags streamactor.RecvFlag
	if in.Config().Sparse {
		flags = streamactor.RecvStopAtHole
	}
	for {
		n, err := in.RecvFlags(ctx, buf, flags)
		switch {
		case err == io.EOF:
			if err := out.Finish(ctx); err != nil {
				_ = in.AbortWith(ctx, err)
				return
			}
			_ = in.Finish(ctx)
			return
		case errors.Is(err, streamactor.ErrHole):
			h, err := in.RecvHole(ctx, 0)
			if err == nil {
				if err = out.SendHole(ctx, h, 0); err != nil {
					_ = in.AbortWith(ctx, err)
					return
				}
				continue
			}
			_ = out.AbortWith(ctx, err)
			return
		case err != nil:
			_ = out.AbortWith(ctx, err)
			return
		}
		if _, err := out.Send(ctx, buf[:n]); err != nil {
			_ = in.AbortWith(ctx, err)
			return
		}
	}
}
