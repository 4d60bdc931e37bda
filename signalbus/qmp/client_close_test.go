package qmp_test

import (
	"context"
	"errors"
	"fmt"
	"net"
	"sync"
	"testing"
	"time"

	"github.com/actorio/actorio/signalbus/qmp"
)

// eventPeer is a QMP peer that answers every command with {} except
// "hold" (never answered), reports the commands it reads, and sends the
// event lines the test gives it.
type eventPeer struct {
	addr string
	seen chan string     // names of the commands read
	send chan string     // event lines to write
	done <-chan struct{} // closed when the peer is finished
}

func startEventPeer(t *testing.T) *eventPeer {
	t.Helper()
	p := &eventPeer{seen: make(chan string, 16), send: make(chan string)}
	stop := make(chan struct{})
	p.addr, p.done = serveOneConn(t, func(conn net.Conn) {
		var wmu sync.Mutex
		write := func(line string) {
			wmu.Lock()
			defer wmu.Unlock()
			fmt.Fprint(conn, line)
		}
		write(qmpGreeting + "\n")
		writerDone := make(chan struct{})
		go func() {
			defer close(writerDone)
			for {
				select {
				case line := <-p.send:
					write(line)
				case <-stop:
					return
				}
			}
		}()
		defer func() { <-writerDone }()
		eachRequest(conn, func(req qmpRequest) {
			p.seen <- req.Execute
			if req.Execute != "hold" {
				write(fmt.Sprintf(`{"return": {}, "id": %q}`+"\n", req.ID))
			}
		})
	})
	t.Cleanup(func() {
		close(stop)
		<-p.done
	})
	return p
}

// waitSeen waits for the peer to read command name.
func (p *eventPeer) waitSeen(t *testing.T, name string) {
	t.Helper()
	for {
		select {
		case got := <-p.seen:
			if got == name {
				return
			}
		case <-time.After(5 * time.Second):
			t.Fatalf("the peer never saw %s", name)
		}
	}
}

const event = `{"event": "SHUTDOWN", "data": {}, "timestamp": {"seconds": 1, "microseconds": 2}}` + "\n"

// Close called from an event handler closes the connection, fails the
// call waiting for its reply, returns without waiting for the handler's
// own goroutine, and no handler runs after it; Execute, Connect and
// Disconnect called from the handler afterwards fail at once. The
// executor goroutine then ends (a later Close from outside, which waits
// for it, returns; goleak checks the rest).
func TestClientCloseFromHandlerStopsAll(t *testing.T) {
	p := startEventPeer(t)
	c, err := qmp.Dial(context.Background(), "tcp", p.addr)
	if err != nil {
		t.Fatal(err)
	}
	p.waitSeen(t, "qmp_capabilities")
	held := make(chan error, 1)
	go func() { held <- c.Execute(context.Background(), "hold", nil, nil) }()
	p.waitSeen(t, "hold")

	type result struct {
		close, execute, connect, disconnect error
	}
	results := make(chan result, 4)
	var mu sync.Mutex
	calls := 0
	c.OnEvent(func(qmp.Event) {
		mu.Lock()
		calls++
		mu.Unlock()
		var r result
		r.close = c.Close()
		// Generous deadlines: a call that waited for them would fail the test below.
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		r.execute = c.Execute(ctx, "query-status", nil, nil)
		_, r.connect = c.Connect(ctx, "x", nil, func(qmp.Event) {})
		r.disconnect = c.Disconnect(ctx, "x", "t1", nil)
		results <- r
	})
	p.send <- event + event + event

	var r result
	select {
	case r = <-results:
	case <-time.After(5 * time.Second):
		t.Fatal("Close called from an event handler never returned")
	}
	if r.close != nil {
		t.Errorf("Close from the handler: %v", r.close)
	}
	for _, call := range []struct {
		name string
		err  error
	}{{"Execute", r.execute}, {"Connect", r.connect}, {"Disconnect", r.disconnect}} {
		if call.err == nil || errors.Is(call.err, context.DeadlineExceeded) {
			t.Errorf("%s from the handler after Close: %v, want the client's closed error", call.name, call.err)
		}
	}
	select {
	case err := <-held:
		if err == nil || errors.Is(err, context.Canceled) {
			t.Errorf("the call waiting for its reply: %v, want the client's closed error", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Close from a handler did not fail the call waiting for its reply")
	}
	closed := make(chan struct{})
	go func() {
		_ = c.Close() // the connection is closed already: its error does not matter
		close(closed)
	}()
	select {
	case <-closed:
	case <-time.After(5 * time.Second):
		t.Fatal("the event goroutine did not end after the handler that closed the client returned")
	}
	mu.Lock()
	defer mu.Unlock()
	if calls != 1 {
		t.Fatalf("handler ran %d times, want once: events queued after Close must be dropped", calls)
	}
}

// Close called from outside the handlers waits for a running handler to
// return.
func TestClientCloseWaitsForRunningHandler(t *testing.T) {
	p := startEventPeer(t)
	c, err := qmp.Dial(context.Background(), "tcp", p.addr)
	if err != nil {
		t.Fatal(err)
	}
	entered := make(chan struct{})
	release := make(chan struct{})
	var once sync.Once
	c.OnEvent(func(qmp.Event) {
		once.Do(func() { close(entered) })
		<-release
	})
	p.send <- event
	select {
	case <-entered:
	case <-time.After(5 * time.Second):
		t.Fatal("the handler never ran")
	}
	closed := make(chan error, 1)
	go func() { closed <- c.Close() }()
	select {
	case err := <-closed:
		close(release)
		t.Fatalf("Close returned (%v) while a handler was running", err)
	case <-time.After(100 * time.Millisecond):
	}
	close(release)
	select {
	case err := <-closed:
		if err != nil {
			t.Fatalf("Close: %v", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Close never returned after the handler did")
	}
}

// Two clients whose event handlers close each other (A's handler calls
// B.Close while B's handler calls A.Close) both return: a Close does not
// wait for a handler that is itself waiting, through Close, for the
// caller's own handler. Each handler still runs once, and both executor
// goroutines end (goleak checks).
func TestClientsCloseEachOtherFromHandlers(t *testing.T) {
	pa, pb := startEventPeer(t), startEventPeer(t)
	a, err := qmp.Dial(context.Background(), "tcp", pa.addr)
	if err != nil {
		t.Fatal(err)
	}
	b, err := qmp.Dial(context.Background(), "tcp", pb.addr)
	if err != nil {
		t.Fatal(err)
	}
	var both sync.WaitGroup
	both.Add(2)
	closed := make(chan string, 2)
	cross := func(name string, other *qmp.Client) func(qmp.Event) {
		var once sync.Once
		return func(qmp.Event) {
			once.Do(func() {
				both.Done()
				both.Wait() // both handlers are running
				_ = other.Close()
				closed <- name
			})
		}
	}
	a.OnEvent(cross("a", b))
	b.OnEvent(cross("b", a))
	pa.send <- event
	pb.send <- event
	for i := 0; i < 2; i++ {
		select {
		case <-closed:
		case <-time.After(5 * time.Second):
			t.Fatal("clients whose handlers close each other deadlocked")
		}
	}
	for _, c := range []*qmp.Client{a, b} {
		done := make(chan struct{})
		go func() {
			_ = c.Close() // already closed: its error does not matter
			close(done)
		}()
		select {
		case <-done:
		case <-time.After(5 * time.Second):
			t.Fatal("a later Close did not return: an executor goroutine did not end")
		}
	}
}
