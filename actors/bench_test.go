package actors_test

import (
	"context"
	"runtime"
	"sync/atomic"
	"testing"

	"github.com/actorio/actorio/actors"
	"github.com/actorio/actorio/internal/benchcmp"
	"github.com/asynkron/protoactor-go/actor"
)

type ball struct{ left int }

// BenchmarkPingPongReal: a round trip between two actors of a real System
// (its pool of worker goroutines), against the same ping-pong between
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

// BenchmarkSendHotPath: one message to a HotPath actor (a LeanMailbox,
// handled on the sender's goroutine) from one sender, against one value
// through a buffered channel to a consumer goroutine. Zero allocations: the
// message is the sender's, and actorio's per-actor state needs no
// envelope.
func BenchmarkSendHotPath(b *testing.B) {
	sys := actors.New()
	defer sys.Close(context.Background())
	var got atomic.Int64
	pid, _ := sys.Spawn(actor.PropsFromFunc(func(c actor.Context) {
		if _, ok := c.Message().(*tick); ok {
			got.Add(1)
		}
	}, actors.HotPath()...))
	m := &tick{}
	ours := func(n int) {
		start := got.Load()
		for i := 0; i < n; i++ {
			sys.Send(pid, m)
		}
		for got.Load()-start < int64(n) {
			runtime.Gosched()
		}
	}
	ch := make(chan *tick, 1024)
	var recv atomic.Int64
	done := make(chan struct{})
	go func() {
		defer close(done)
		for range ch {
			recv.Add(1)
		}
	}()
	base := func(n int) {
		start := recv.Load()
		for i := 0; i < n; i++ {
			ch <- m
		}
		for recv.Load()-start < int64(n) {
			runtime.Gosched()
		}
	}
	b.ReportAllocs()
	benchcmp.Compare(b, ours, base)
	close(ch)
	<-done
}

type tick struct{}
