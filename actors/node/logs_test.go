package node

import (
	"bytes"
	"context"
	"crypto/x509"
	"io"
	"log/slog"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/actorio/actorio/actors"
	"github.com/asynkron/protoactor-go/actor"
	"github.com/pkg/errors"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// TestLoggerField guards the protoactor field quietPeerLogs replaces by
// reflection: a protoactor upgrade that renames it must fail here, not
// bring back errors for every peer that hangs up.
func TestLoggerField(t *testing.T) {
	f, ok := reflect.TypeOf(actor.ActorSystem{}).FieldByName("logger")
	if !ok || f.Type != reflect.TypeOf((*slog.Logger)(nil)) {
		t.Fatal("actor.ActorSystem has no logger field of type *slog.Logger")
	}
	var out bytes.Buffer
	sys := actors.New(actors.WithLogger(slog.New(slog.NewTextHandler(&out, nil)))) // Info and above
	defer func() { _ = sys.Close(context.Background()) }()
	n := &Node{sys: sys}
	n.quietPeerLogs(sys.ActorSystem())
	log := sys.ActorSystem().Logger()
	if _, ok := log.Handler().(*peerLogs); !ok {
		t.Fatalf("the system's logger was not replaced: its handler is %T", log.Handler())
	}
	out.Reset()
	log.Error(lostConnection, slog.String("address", "127.0.0.1:2"), slog.Any("error", status.Error(codes.Unavailable, "error reading from server: EOF")))
	log.Error(lostConnection, slog.String("address", "127.0.0.1:3"), slog.Any("error", status.Error(codes.Unavailable, "connection reset by peer")))
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	if len(lines) != 2 ||
		!strings.Contains(lines[0], "level=INFO") || !strings.Contains(lines[0], "address=127.0.0.1:2") ||
		!strings.Contains(lines[0], "reason=") || !strings.Contains(lines[0], "system=") ||
		!strings.Contains(lines[1], "level=ERROR") || !strings.Contains(lines[1], "address=127.0.0.1:3") {
		t.Errorf("logged:\n%s\nwant the EOF at INFO with the peer's address, the reset at ERROR", out.String())
	}
}

// TestRelevel: protoactor's report of a peer's connection that ended in
// order (gRPC's EOF) or that the node closed (Canceled) is lowered to
// Info, and of a dial the node's Stop ended to Debug; a connection that
// broke otherwise and any other failed dial (refused, TLS) stay errors,
// as does a dial that failed before Stop.
func TestRelevel(t *testing.T) {
	halt, halted := context.WithCancel(context.Background())
	n := &Node{halt: halt}
	tlsErr := status.Error(codes.Unavailable, `connection error: desc = "transport: authentication handshake failed: `+x509.UnknownAuthorityError{}.Error()+`"`)
	stoppedDial := status.Error(codes.Unavailable, `connection error: desc = "transport: error while dialing: node: stopped"`)
	cases := []struct {
		msg   string
		err   error
		stop  bool
		level slog.Level
	}{
		{lostConnection, status.Error(codes.Unavailable, "error reading from server: EOF"), false, slog.LevelInfo},
		{lostConnection, status.Error(codes.Canceled, "grpc: the client connection is closing"), false, slog.LevelInfo},
		{lostConnection, status.Error(codes.Unavailable, "error reading from server: read tcp 127.0.0.1:1->127.0.0.1:2: read: connection reset by peer"), false, slog.LevelError},
		{lostConnection, status.Error(codes.Unavailable, "keepalive ping failed to receive ACK within timeout"), false, slog.LevelError},
		{lostConnection, status.Error(codes.Internal, "EOF"), false, slog.LevelError},
		{lostConnection, io.ErrUnexpectedEOF, false, slog.LevelError},
		{failedDial, tlsErr, false, slog.LevelError},
		{failedDial, tlsErr, true, slog.LevelError},
		{failedDial, status.Error(codes.Unavailable, "connection error: desc = \"transport: error while dialing: dial tcp 127.0.0.1:1: connect: connection refused\""), true, slog.LevelError},
		{failedDial, stoppedDial, false, slog.LevelError},
		{failedDial, stoppedDial, true, slog.LevelDebug},
		{"EndpointReader failed to handle message batch", errors.New("EOF"), false, slog.LevelError},
	}
	for i, c := range cases {
		if c.stop {
			halted()
		}
		r := slog.NewRecord(time.Time{}, slog.LevelError, c.msg, 0)
		r.AddAttrs(slog.String("address", "127.0.0.1:2"), slog.Any("error", c.err))
		level, _, ok := n.relevel(r)
		if !ok {
			level = r.Level
		}
		if level != c.level {
			t.Errorf("case %d: %q %v (node stopped %v): level %v, want %v", i, c.msg, c.err, c.stop, level, c.level)
		}
		if c.stop {
			halt, halted = context.WithCancel(context.Background())
			n.halt = halt
		}
	}
	halted()
}
