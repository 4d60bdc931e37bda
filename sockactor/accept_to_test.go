package sockactor_test

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/actorio/actorio/actors"
	"github.com/actorio/actorio/sockactor"
	"github.com/asynkron/protoactor-go/actor"
)

// TestAcceptToArmsAtStart: a listener with AcceptTo pushes connections
// to its actor without any Accept request (TCP, and unix with a mode).
func TestAcceptToArmsAtStart(t *testing.T) {
	for _, tc := range []struct{ network, addr string }{
		{"tcp", "127.0.0.1:0"},
		{"unix", filepath.Join(t.TempDir(), "s.sock")},
	} {
		sys := actors.New()
		got := make(chan *sockactor.AcceptDone, 2)
		acc, _ := sys.Spawn(actor.PropsFromFunc(func(c actor.Context) {
			if m, ok := c.Message().(*sockactor.AcceptDone); ok {
				got <- m
			}
		}))
		l, err := sockactor.Listen(sys, sockactor.RealTransport(), tc.network, tc.addr,
			sockactor.AcceptTo(acc), sockactor.WithMode(sockactor.ListenConfig{Mode: 0o600}))
		if err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		for i := 0; i < 2; i++ {
			c, err := sockactor.Dial(ctx, sys, sockactor.RealTransport(), tc.network, l.Addr().String())
			if err != nil {
				t.Fatalf("%s: dial: %v", tc.network, err)
			}
			select {
			case m := <-got:
				if m.Err != nil || m.Conn == nil {
					t.Fatalf("%s: %+v", tc.network, m)
				}
				m.Conn.Close()
			case <-ctx.Done():
				t.Fatalf("%s: connection %d never pushed to the AcceptTo actor", tc.network, i+1)
			}
			c.Close()
		}
		cancel()
		l.Close()
		if err := sys.Close(context.Background()); err != nil {
			t.Fatal(err)
		}
	}
}
