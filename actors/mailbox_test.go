package actors_test

import (
	"context"
	"fmt"
	"reflect"
	"sync"
	"testing"

	"github.com/actorio/actorio/actors"
	"github.com/asynkron/protoactor-go/actor"
)

// TestHotPathMailboxOrder: messages from one sender arrive in order, and
// every message from many concurrent senders arrives exactly once.
func TestHotPathMailboxOrder(t *testing.T) {
	sys := realSystem(t)
	const senders, each = 4, 2000
	var mu sync.Mutex
	last := map[int]int{}
	var bad []string
	got := 0
	done := make(chan struct{})
	pid, err := sys.Spawn(actor.PropsFromFunc(func(c actor.Context) {
		if m, ok := c.Message().([2]int); ok {
			mu.Lock()
			if m[1] != last[m[0]]+1 {
				bad = append(bad, fmt.Sprintf("sender %d: %d after %d", m[0], m[1], last[m[0]]))
			}
			last[m[0]] = m[1]
			got++
			if got == senders*each {
				close(done)
			}
			mu.Unlock()
		}
	}, actors.HotPath()...))
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	for s := 0; s < senders; s++ {
		wg.Add(1)
		go func(s int) {
			defer wg.Done()
			for i := 1; i <= each; i++ {
				sys.Send(pid, [2]int{s, i})
			}
		}(s)
	}
	wg.Wait()
	if err := sys.Wait(ctxT(t), done); err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(bad) > 0 {
		t.Fatal(bad[:min(5, len(bad))])
	}
}

// TestHotPathMailboxPanicRestart: a panic is escalated to the supervisor
// (restart), and the message after it is still handled.
func TestHotPathMailboxPanicRestart(t *testing.T) {
	sys := realSystem(t)
	starts := 0
	seen := make(chan string, 10)
	pid, err := sys.Spawn(actor.PropsFromFunc(func(c actor.Context) {
		switch m := c.Message().(type) {
		case *actor.Started:
			starts++
		case string:
			if m == "boom" {
				panic("planted")
			}
			seen <- fmt.Sprintf("%s after %d starts", m, starts)
		}
	}, actors.HotPath()...))
	if err != nil {
		t.Fatal(err)
	}
	sys.Send(pid, "boom")
	sys.Send(pid, "next")
	ctx := ctxT(t)
	select {
	case s := <-seen:
		if s != "next after 2 starts" {
			t.Fatalf("got %q", s)
		}
	case <-ctx.Done():
		t.Fatal("message after the panic never handled")
	}
	if st := sys.Stats(); st.Restarts != 1 {
		t.Fatalf("stats %+v, want one restart", st)
	}
}

// TestHotPathMailboxAllocs: a message to a hot-path actor allocates
// nothing in steady state (protoactor's default mailbox allocates a
// closure per activation).
func TestHotPathMailboxAllocs(t *testing.T) {
	sys := realSystem(t)
	n := 0
	pid, err := sys.Spawn(actor.PropsFromFunc(func(c actor.Context) {
		if _, ok := c.Message().(*actor.MessageEnvelope); !ok {
			n++
		}
	}, actors.HotPath()...))
	if err != nil {
		t.Fatal(err)
	}
	env := &actor.MessageEnvelope{Message: &struct{ x int }{}}
	for i := 0; i < 100; i++ {
		sys.Send(pid, env)
	}
	allocs := testing.AllocsPerRun(1000, func() { sys.Send(pid, env) })
	if allocs != 0 {
		t.Fatalf("%v allocations per message", allocs)
	}
	_ = context.Background()
}

// batchOf is a protoactor MessageBatch of msgs.
type batchOf []any

func (b batchOf) GetMessages() []any { return b }

// TestUnpackBatch: a batch's messages are posted, bare or enveloped; any
// other message is not.
func TestUnpackBatch(t *testing.T) {
	for _, tc := range []struct {
		msg  any
		want []any
	}{
		{batchOf{"a", "b"}, []any{"a", "b"}},
		{&actor.MessageEnvelope{Message: batchOf{"c"}}, []any{"c"}},
		{"plain", nil},
		{&actor.MessageEnvelope{Message: "plain"}, nil},
	} {
		var got []any
		actors.UnpackBatch(tc.msg, func(m any) { got = append(got, m) })
		if !reflect.DeepEqual(got, tc.want) {
			t.Errorf("UnpackBatch(%v) posted %v, want %v", tc.msg, got, tc.want)
		}
	}
}
