package qmp

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net"
	"runtime"
	"testing"
	"time"

	"github.com/pkg/errors"
)

// FuzzClientRead: a fake server over net.Pipe sends the fuzzed bytes as
// its greeting, replies and events (the client's ids are "1", "2", ...,
// so the input can answer its calls). The client never panics or hangs:
// Dial and every call after it return, with an error if the input was
// bad; a Dial that succeeds read a real greeting. hold keeps the
// connection open once the input is sent (the calls then end with their
// context); otherwise the server closes it. The seed corpus runs as a
// regular test.
func FuzzClientRead(f *testing.F) {
	const greet = `{"QMP": {"version": {"qemu": {"micro": 0, "minor": 2, "major": 9}}, "capabilities": []}}` + "\n"
	for _, s := range []string{
		greet + `{"return": {}, "id": "1"}` + "\n" + `{"return": {"a": 1}, "id": "2"}` + "\n" + `{"return": "t1", "id": "3"}` + "\n" + `{"return": {}, "id": "4"}` + "\n",
		greet + `{"event": "X", "data": {"a": 1}, "timestamp": {"seconds": 1, "microseconds": 2}}` + "\n" + `{"return": {}, "id": "1"}` + "\n",
		greet + `{"event": "X", "tag": "t1", "timestamp": {"seconds": -9223372036854775808, "microseconds": -9223372036854775808}}` + "\n",
		greet + `{"id": "1"}` + "\n", greet + `{"error": {"class": "GenericError", "desc": "x"}}` + "\n",
		greet + `{"error": {"class": "GenericError", "desc": "x"}, "id": "1"}` + "\n", greet + "\n\n  \n[1]\n",
		greet + `{"return": {}, "id": 1}` + "\n", greet + `{"return": null, "id": "1"}` + "\n", greet + `{"id": "1", "error": null}` + "\n",
		`{"error": {"class": "GenericError", "desc": "too many sessions"}}` + "\n", `{"error": {}}` + "\n",
		`{"qmp": 1}` + "\n", `{"QMP": 1}`, "garbage\n", "", "\n", `{"QMP": {}}` + "\r\n" + `{"return": {}, "id": "1"}` + "\r\n",
		greet + `{"return": {}, "id": "1"}` + "\n" + `{"event": ""}` + "\n" + `{"event": 5}` + "\n" + `{"return": [1], "id": "2"}`,
	} {
		f.Add([]byte(s), uint16(0), false)
		f.Add([]byte(s), uint16(40), true)
	}
	f.Fuzz(func(t *testing.T, in []byte, maxLine uint16, hold bool) {
		srv, cli := net.Pipe()
		defer srv.Close()
		go func() { _, _ = io.Copy(io.Discard, srv) }() // the client's commands
		go func() {
			_, _ = srv.Write(in)
			if !hold {
				_ = srv.Close()
			}
		}()
		done := make(chan struct{})
		go func() {
			defer close(done)
			runClient(t, cli, in, int(maxLine), hold)
		}()
		select {
		case <-done:
		case <-time.After(20 * time.Second):
			buf := make([]byte, 1<<20)
			t.Fatalf("the client hangs on %q (maxLine %d, hold %v):\n%s", in, maxLine, hold, buf[:runtime.Stack(buf, true)])
		}
	})
}

// runClient dials over cli and, if that works, makes every kind of call.
func runClient(t *testing.T, cli net.Conn, in []byte, maxLine int, hold bool) {
	ctx := context.Background()
	if hold {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, 100*time.Millisecond)
		defer cancel()
	}
	c, err := start(ctx, cli, "pipe", clientConfig{maxLine: maxLine})
	if err != nil {
		if c != nil {
			t.Fatalf("start returned a client and %v", err)
		}
		return
	}
	// A greeting was read: it is the input's first line, a QMP greeting.
	first, _, _ := bytes.Cut(in, []byte("\n"))
	if !bytes.Equal(c.Greeting, first) && !bytes.Equal(c.Greeting, append(first, '\n')) {
		t.Fatalf("greeting %q, but the input's first line is %q", c.Greeting, first)
	}
	if err := checkGreeting(c.Greeting); err != nil {
		t.Fatalf("greeting %q accepted, but %v", c.Greeting, err)
	}
	var m map[string]json.RawMessage
	if json.Unmarshal(c.Greeting, &m) != nil || m["QMP"] == nil {
		t.Fatalf("greeting %q accepted without member QMP", c.Greeting)
	}
	c.OnEvent(func(ev Event) { _ = ev.Event })
	var res any
	_ = c.Execute(ctx, "query-x", map[string]any{"a": 1}, &res)
	h, err := c.Connect(ctx, "x", nil, func(Event) {})
	if err == nil {
		_ = c.Disconnect(ctx, "x", h, nil)
	}
	_ = c.Close()
	if err := c.Execute(ctx, "after", nil, nil); err == nil {
		t.Fatal("Execute after Close succeeded")
	}
}

// TestClientReadLineLimit: a reply over the line limit fails the client
// with ErrLineTooLong, through a call waiting for it.
func TestClientReadLineLimit(t *testing.T) {
	srv, cli := net.Pipe()
	defer srv.Close()
	go func() {
		r := bufio.NewReader(srv)
		_, _ = srv.Write([]byte(`{"QMP": {}}` + "\n"))
		_, _ = r.ReadString('\n')
		_, _ = srv.Write([]byte(`{"return": {}, "id": "1"}` + "\n"))
		_, _ = r.ReadString('\n')
		_, _ = srv.Write([]byte(`{"return": "` + string(bytes.Repeat([]byte("a"), 100)) + `", "id": "2"}` + "\n"))
		_, _ = io.Copy(io.Discard, r)
	}()
	c, err := start(context.Background(), cli, "pipe", clientConfig{maxLine: 64})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if err := c.Execute(context.Background(), "x", nil, nil); !errors.Is(err, ErrLineTooLong) {
		t.Fatalf("got %v, want ErrLineTooLong", err)
	}
}
