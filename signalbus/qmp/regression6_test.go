package qmp_test

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/actorio/actorio/signalbus/qmp"
)

// scriptedReply starts a peer that negotiates, then answers command x
// with the line reply (its %s, if any, is x's id) and nothing more.
func scriptedReply(t *testing.T, reply string) string {
	t.Helper()
	addr, done := serveOneConn(t, func(conn net.Conn) {
		fmt.Fprintln(conn, qmpGreeting)
		eachRequest(conn, func(req qmpRequest) {
			if req.Execute == "x" {
				if strings.Contains(reply, "%s") {
					fmt.Fprintf(conn, reply+"\n", req.ID)
				} else {
					fmt.Fprintln(conn, reply)
				}
				return
			}
			fmt.Fprintf(conn, `{"return": {}, "id": %q}`+"\n", req.ID)
		})
	})
	t.Cleanup(func() { <-done })
	return addr
}

// TestRegressionClientServerProtocolErrors: a reply the client cannot
// route to its call no longer leaves the call waiting for ever. A line
// that is not a JSON object, or an error without an id (the server
// could not parse a command, so which call it answers is unknown), fails
// the client, as the reference client qemu.qmp does: the waiting call
// gets an error (ErrProtocol, saying what came), and the connection is
// closed. Before, both lines were skipped and the call waited until its
// ctx ended (here, a guard of 10 s that never ends a passing run). A
// reply whose id no call waits for is dropped, as qmp-spec says.
func TestRegressionClientServerProtocolErrors(t *testing.T) {
	cases := []struct{ reply, want string }{
		{`{"return": {}, "id": %q`, `{\"return\": {}, \"id\":`},
		{`[1, 2]`, `[1, 2]`},
		{`{"error": {"class": "GenericError", "desc": "JSON parse error, invalid keyword 'x'"}}`, "invalid keyword"},
	}
	for _, tc := range cases {
		addr := scriptedReply(t, tc.reply)
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		c, err := qmp.Dial(ctx, "tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		err = c.Execute(ctx, "x", nil, nil)
		if !errors.Is(err, qmp.ErrProtocol) || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("reply %s: %v, want a protocol error quoting %s", tc.reply, err, tc.want)
		}
		var qe *qmp.Error
		if errors.As(err, &qe) {
			t.Errorf("reply %s: %v is a *qmp.Error, as if the server refused the command", tc.reply, err)
		}
		c.Close()
		cancel()
	}

	addr := scriptedReply(t, `{"return": 1, "id": "unknown"}`)
	ctx := context.Background()
	c, err := qmp.Dial(ctx, "tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	ctx2, cancel := context.WithCancel(ctx)
	errc := make(chan error, 1)
	go func() { errc <- c.Execute(ctx2, "x", nil, nil) }()
	// The unknown id is dropped: x stays waiting, the client works on.
	if err := c.Execute(ctx, "y", nil, nil); err != nil {
		t.Errorf("a command after a reply with an unknown id: %v", err)
	}
	cancel()
	if err := <-errc; !errors.Is(err, context.Canceled) {
		t.Errorf("x, answered with another id only: %v, want it still waiting", err)
	}
}

// TestRegressionDialGreetingErrors: Dial says why a server did not
// start a session. A server over its session limit sends its error
// instead of the greeting: Dial returns it (a *qmp.Error). Before, Dial
// took the error for the greeting and failed on qmp_capabilities with
// "connection lost: EOF". A greeting that is not QMP's is a protocol
// error; a refused qmp_capabilities says it was the negotiation.
func TestRegressionDialGreetingErrors(t *testing.T) {
	_, sock := serveUnix(t, qmp.WithLimits(qmp.Limits{MaxConns: 1}))
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	first, err := qmp.Dial(ctx, "unix", sock)
	if err != nil {
		t.Fatal(err)
	}
	defer first.Close()
	_, err = qmp.Dial(ctx, "unix", sock)
	var qe *qmp.Error
	if !errors.As(err, &qe) || !strings.Contains(err.Error(), "too many QMP connections") {
		t.Errorf("Dial over the session limit: %v, want the server's error", err)
	}

	addr, done := serveOneConn(t, func(conn net.Conn) { fmt.Fprintln(conn, `{"hello": 1}`) })
	if _, err := qmp.Dial(ctx, "tcp", addr); !errors.Is(err, qmp.ErrProtocol) || !strings.Contains(err.Error(), "greeting") {
		t.Errorf("Dial to a server whose greeting is not QMP's: %v, want a protocol error about the greeting", err)
	}
	<-done

	addr, done = serveOneConn(t, func(conn net.Conn) {
		fmt.Fprintln(conn, qmpGreeting)
		eachRequest(conn, func(req qmpRequest) {
			fmt.Fprintf(conn, `{"error": {"class": "CommandNotFound", "desc": "no"}, "id": %q}`+"\n", req.ID)
		})
	})
	_, err = qmp.Dial(ctx, "tcp", addr)
	if !errors.As(err, &qe) || qe.Class != "CommandNotFound" || !strings.Contains(err.Error(), "negotiating capabilities") {
		t.Errorf("Dial whose qmp_capabilities is refused: %v, want the server's error, said to be the negotiation's", err)
	}
	<-done
}

// TestRegressionReplyWithoutReturnOrError: a reply that carries the
// call's id but neither "return" nor "error" (not a QMP response) fails
// that call with ErrProtocol quoting it; the client stays usable.
//
// Found in review: it was taken as a success with an empty result.
func TestRegressionReplyWithoutReturnOrError(t *testing.T) {
	addr := scriptedReply(t, `{"id": "%s"}`)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c, err := qmp.Dial(ctx, "tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	var out any
	if err := c.Execute(ctx, "x", nil, &out); !errors.Is(err, qmp.ErrProtocol) || !strings.Contains(err.Error(), `\"id\"`) {
		t.Fatalf("reply without return or error: %v (result %v), want a protocol error quoting it", err, out)
	}
	if err := c.Execute(ctx, "y", nil, nil); err != nil {
		t.Fatalf("the next call: %v", err)
	}
}
