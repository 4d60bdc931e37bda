package qmp_test

import (
	"bufio"
	"context"
	"encoding/json"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/actorio/actorio/actors"
	"github.com/actorio/actorio/signalbus/qmp"
	"github.com/actorio/actorio/sockactor"
	goqemu "github.com/digitalocean/go-qemu/qmp"
)

// serveUnix starts a real system serving the fixture on a unix socket.
func serveUnix(t *testing.T, opts ...qmp.Option) (*fixture, string) {
	t.Helper()
	sys := actors.New()
	f := newFixture(t, sys, opts...)
	path := filepath.Join(t.TempDir(), "qmp.sock")
	l, err := f.srv.Listen(sockactor.RealTransport(), "unix", path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		l.Close()
		f.bus.Close()
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := sys.Close(ctx); err != nil {
			t.Error(err)
		}
	})
	return f, path
}

// TestGoQemuClient: the de facto Go QMP client connects, negotiates, runs
// commands and receives events from our server.
func TestGoQemuClient(t *testing.T) {
	_, path := serveUnix(t)
	st, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if st.Mode().Perm() != 0o600 {
		t.Fatalf("socket mode %v, want 0600", st.Mode().Perm())
	}
	mon, err := goqemu.NewSocketMonitor("unix", path, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	if err := mon.Connect(); err != nil {
		t.Fatal(err)
	}
	defer func() { _ = mon.Disconnect() }()
	if mon.Version == nil || mon.Version.QEMU.Major != 7 {
		t.Fatalf("version %+v", mon.Version)
	}
	out, err := mon.Run([]byte(`{"execute": "query-version"}`)) // no newline: QEMU's streamer does not need one
	if err != nil || !strings.Contains(string(out), `"major": 7`) {
		t.Fatalf("query-version: %s, %v", out, err)
	}
	if _, err := mon.Run([]byte(`{"execute": "nope"}`)); err == nil || err.Error() != "The command nope has not been found" {
		t.Fatalf("unknown command: %v", err)
	}
	events, err := mon.Events(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	next := func() goqemu.Event {
		t.Helper()
		select {
		case ev := <-events:
			return ev
		case <-time.After(10 * time.Second):
			t.Fatal("no event")
		}
		return goqemu.Event{}
	}
	// go-qemu needs a reader for events while a command runs: events
	// written before a return would block its single reader otherwise.
	type result struct {
		out []byte
		err error
	}
	run := func(cmd string) <-chan result {
		ch := make(chan result, 1)
		go func() {
			out, err := mon.Run([]byte(cmd))
			ch <- result{out, err}
		}()
		return ch
	}
	done := run(`{"execute": "inject-block-io-event", "arguments": {"device": "vda", "action": "report", "operation": "read"}}`)
	ev := next()
	if r := <-done; r.err != nil {
		t.Fatal(r.err)
	}
	if ev.Event != "BLOCK_IO_EVENT" || ev.Data["device"] != "vda" || ev.Data["operation"] != "read" || ev.Timestamp.Seconds < 1e9 {
		t.Fatalf("event %+v", ev)
	}
	r := <-run(`{"execute": "block-device-event-connect", "arguments": {"device": "vdb"}}`)
	var tag struct {
		Return string `json:"return"`
	}
	if r.err != nil || json.Unmarshal(r.out, &tag) != nil || tag.Return == "" {
		t.Fatalf("connect: %s %v", r.out, r.err)
	}
	done = run(`{"execute": "inject-block-device-event", "arguments": {"device": "vdb", "action": "stop", "operation": "write", "reason": "nospc"}}`)
	a, b := next(), next()
	if r := <-done; r.err != nil {
		t.Fatal(r.err)
	}
	for _, e := range []goqemu.Event{a, b} {
		if e.Event != "BLOCK_DEVICE_EVENT" || e.Data["device"] != "vdb" || e.Data["reason"] != "nospc" {
			t.Fatalf("device event %+v", e)
		}
	}
	if r := <-run(`{"execute": "block-device-event-disconnect", "arguments": {"tag": "` + tag.Return + `"}}`); r.err != nil {
		t.Fatal(r.err)
	}
	if r := <-run(`{"execute": "block-device-event-disconnect", "arguments": {"tag": "` + tag.Return + `"}}`); r.err == nil || !strings.Contains(r.err.Error(), "Unknown tag") {
		t.Fatalf("second disconnect: %v", r.err)
	}
}

// TestTCPBindsLoopback: a TCP address without a host binds 127.0.0.1.
func TestTCPBindsLoopback(t *testing.T) {
	sys := actors.New()
	f := newFixture(t, sys)
	l, err := f.srv.Listen(sockactor.RealTransport(), "tcp", ":0")
	if err != nil {
		t.Fatal(err)
	}
	defer func() {
		l.Close()
		f.bus.Close()
		_ = sys.Close(context.Background())
	}()
	addr := l.Addr().(*net.TCPAddr)
	if !addr.IP.IsLoopback() {
		t.Fatalf("bound %v", addr)
	}
	c, err := net.Dial("tcp", addr.String())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	line, err := bufio.NewReader(c).ReadString('\n')
	if err != nil || !strings.HasPrefix(line, `{"QMP": {"version": `) || !strings.HasSuffix(line, "\r\n") {
		t.Fatalf("greeting %q %v", line, err)
	}
}

func waitABit() { time.Sleep(10 * time.Millisecond) }
