package qmp_test

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/actorio/actorio/signalbus/qmp"
)

// scriptedServer is a QMP peer for the client's edge cases: after the
// greeting it answers qmp_capabilities, holds x-connect until release is
// closed (then returns tag "t1"), and reports every x-disconnect's tag.
type scriptedServer struct {
	addr         string
	connectSeen  chan struct{}
	release      chan struct{}
	disconnected chan string
	done         <-chan struct{}
}

func startScripted(t *testing.T) *scriptedServer {
	t.Helper()
	s := &scriptedServer{connectSeen: make(chan struct{}), release: make(chan struct{}), disconnected: make(chan string, 4)}
	s.addr, s.done = serveOneConn(t, func(conn net.Conn) {
		fmt.Fprintln(conn, qmpGreeting)
		eachRequest(conn, func(req qmpRequest) {
			ret := `{}`
			switch req.Execute {
			case "x-connect":
				close(s.connectSeen)
				<-s.release
				ret = `"t1"`
			case "x-disconnect":
				tag, _ := req.Arguments["tag"].(string)
				s.disconnected <- tag
			}
			fmt.Fprintf(conn, `{"return": %s, "id": %q}`+"\n", ret, req.ID)
		})
	})
	t.Cleanup(func() {
		select {
		case <-s.release:
		default:
			close(s.release)
		}
		<-s.done
	})
	return s
}

// A Connect given up (ctx cancelled) after the command went out returns
// ctx's error, and when the server's reply comes the client disconnects
// the connection it made, so nothing the caller never saw stays there.
func TestConnectGivenUpIsDisconnected(t *testing.T) {
	s := startScripted(t)
	c, err := qmp.Dial(context.Background(), "tcp", s.addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	ctx, cancel := context.WithCancel(context.Background())
	res := make(chan error, 1)
	go func() {
		_, err := c.Connect(ctx, "x", nil, func(qmp.Event) {})
		res <- err
	}()
	<-s.connectSeen
	cancel()
	if err := <-res; !errors.Is(err, context.Canceled) {
		t.Fatalf("Connect after cancel: %v, want context.Canceled", err)
	}
	close(s.release)
	select {
	case tag := <-s.disconnected:
		if tag != "t1" {
			t.Fatalf("disconnected tag %q, want t1", tag)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the client never disconnected the connection its abandoned Connect made")
	}
	// The client still works.
	if err := c.Execute(context.Background(), "query-anything", nil, nil); err != nil {
		t.Fatal(err)
	}
}

// Dial waiting for a greeting that never comes ends when its context is
// cancelled, deadline or not.
func TestDialCancelledBeforeGreeting(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	held := make(chan net.Conn, 1)
	go func() {
		conn, err := l.Accept()
		if err == nil {
			held <- conn // accepted, never greeted
		}
	}()
	ctx, cancel := context.WithCancel(context.Background())
	res := make(chan error, 1)
	go func() {
		c, err := qmp.Dial(ctx, "tcp", l.Addr().String())
		if c != nil {
			c.Close()
		}
		res <- err
	}()
	conn := <-held
	defer conn.Close()
	// Half a greeting, then give Dial time to be past connecting and
	// waiting for the rest (cancelling sooner would test the dial instead).
	fmt.Fprint(conn, `{"QMP": `)
	time.Sleep(200 * time.Millisecond)
	cancel()
	select {
	case err := <-res:
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("Dial: %v, want context.Canceled", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Dial still waiting for the greeting 10s after its context was cancelled")
	}
}

// Execute honours its context while its command is being written: with a
// server that stops reading, the write of a large command blocks once
// the socket buffers are full; Execute returns at ctx's end, and so does
// another Execute waiting to write meanwhile. The command was cut short,
// so the connection cannot be used any more: the client is failed.
func TestExecuteWriteHonoursContext(t *testing.T) {
	stop := make(chan struct{})
	addr, done := serveOneConn(t, func(conn net.Conn) {
		fmt.Fprintln(conn, qmpGreeting)
		r := bufio.NewReader(conn)
		if _, err := r.ReadString('\n'); err != nil { // qmp_capabilities
			return
		}
		fmt.Fprintln(conn, `{"return": {}, "id": "1"}`)
		<-stop // reads nothing more
	})
	t.Cleanup(func() {
		close(stop)
		<-done
	})
	c, err := qmp.Dial(context.Background(), "tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	big := map[string]any{"pad": strings.Repeat("x", 16<<20)} // more than the socket buffers hold
	errs := make(chan error, 2)
	bigErr := make(chan error, 1)
	// Seconds, not less: encoding 16 MiB under -race on a loaded machine
	// takes a while, and the command must be partly sent when its
	// deadline passes.
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Second)
	defer cancel()
	go func() {
		err := c.Execute(ctx, "big", big, nil)
		bigErr <- err
		errs <- err
	}()
	time.Sleep(200 * time.Millisecond) // the big one writes first
	ctx2, cancel2 := context.WithTimeout(context.Background(), 4*time.Second)
	defer cancel2()
	go func() { errs <- c.Execute(ctx2, "small", nil, nil) }()
	// The big one ends at its deadline; the small one at its own, or
	// when the client fails, whichever comes first.
	for i := 0; i < 2; i++ {
		select {
		case err := <-errs:
			if err == nil {
				t.Error("Execute succeeded with a server that reads nothing")
			}
		case <-time.After(20 * time.Second):
			t.Fatal("Execute blocked in its write past its context's deadline")
		}
	}
	if err := <-bigErr; !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("the big command: %v, want its context's deadline", err)
	}
	ctx3, cancel3 := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel3()
	if err := c.Execute(ctx3, "after", nil, nil); err == nil || errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("after a command was cut short: %v, want the client failed", err)
	}
}
