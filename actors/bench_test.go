package actors_test

import (
	"context"
	"testing"

	"github.com/actorio/actorio/actors"
	"github.com/actorio/actorio/internal/benchcmp"
	"github.com/asynkron/protoactor-go/actor"
)

type ball struct{ left int }

// BenchmarkPingPongReal: a round trip between two actors of a real System
// (protoactor's goroutine dispatcher), against the same ping-pong between
// two goroutines over unbuffered channels. One op is one round trip.
func BenchmarkPingPongReal(b *testing.B) {
	s := actors.New()
	defer func() {
		if err := s.Close(context.Background()); err != nil {
			b.Error(err)
		}
	}()
	finished := make(chan struct{}, 1)
	ponger, _ := s.Spawn(funcProps(func(c actor.Context) {
		if m, ok := c.Message().(*ball); ok {
			c.Respond(m)
		}
	}))
	pinger, _ := s.Spawn(funcProps(func(c actor.Context) {
		if m, ok := c.Message().(*ball); ok {
			if m.left == 0 {
				finished <- struct{}{}
				return
			}
			m.left--
			c.Request(ponger, m)
		}
	}))
	ours := func(n int) {
		s.Send(pinger, &ball{left: n})
		<-finished
	}
	base := func(n int) {
		ping, pong := make(chan int), make(chan int)
		go func() {
			for v := range ping {
				pong <- v
			}
			close(pong)
		}()
		for i := 0; i < n; i++ {
			ping <- i
			<-pong
		}
		close(ping)
		<-pong
	}
	b.ReportAllocs()
	b.ResetTimer()
	benchcmp.Compare(b, ours, base)
}
