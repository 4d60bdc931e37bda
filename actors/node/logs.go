package node

import (
	"context"
	"log/slog"
	"reflect"
	"strings"
	"unsafe"

	"github.com/asynkron/protoactor-go/actor"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// protoactor's remote reports the end of every connection to a peer
// that it dialled at Error ("EndpointWriter lost connection"), a peer
// that stopped and closed its connections in order (gRPC's EOF) as much
// as one that broke; and a dial that the node's Stop ended as a failure
// ("EndpointWriter failed to connect"). The node lowers those two to the
// level they deserve, in the handler of the protoactor system's logger
// (peerLogs); any other record, a connection reset or a TLS failure
// among them, passes as protoactor logged it.
const (
	lostConnection = "EndpointWriter lost connection"
	failedDial     = "EndpointWriter failed to connect"
)

// peerLogs is the handler of the protoactor system's logger on a node:
// the System's own, with protoactor's reports of a peer that hung up
// and of a dial that Stop ended lowered (see relevel).
type peerLogs struct {
	inner slog.Handler
	n     *Node
}

var _ slog.Handler = (*peerLogs)(nil)

// Enabled implements slog.Handler.
func (h *peerLogs) Enabled(ctx context.Context, l slog.Level) bool { return h.inner.Enabled(ctx, l) }

// Handle implements slog.Handler.
func (h *peerLogs) Handle(ctx context.Context, r slog.Record) error {
	level, msg, ok := h.n.relevel(r)
	if !ok {
		return h.inner.Handle(ctx, r)
	}
	if !h.inner.Enabled(ctx, level) {
		return nil
	}
	out := slog.NewRecord(r.Time, level, msg, r.PC)
	r.Attrs(func(a slog.Attr) bool {
		if a.Key == "error" {
			a.Key = "reason" // not an error at this level
		}
		out.AddAttrs(a)
		return true
	})
	return h.inner.Handle(ctx, out)
}

// WithAttrs implements slog.Handler.
func (h *peerLogs) WithAttrs(as []slog.Attr) slog.Handler {
	return &peerLogs{inner: h.inner.WithAttrs(as), n: h.n}
}

// WithGroup implements slog.Handler.
func (h *peerLogs) WithGroup(name string) slog.Handler {
	return &peerLogs{inner: h.inner.WithGroup(name), n: h.n}
}

// relevel returns the level and message a protoactor record about a
// peer's connection deserves, if not its own: a peer that closed its
// connection in order (gRPC's EOF: it stopped, or exited) is news
// (Info); the node's own connection closing under its reader (gRPC's
// Canceled: protoactor stopped the writer, because the peer had gone or
// the node stops) is Info too; a dial that the node's Stop ended is
// Debug. A connection that broke otherwise (reset, keepalive timeout)
// and every failed dial stay errors.
func (n *Node) relevel(r slog.Record) (slog.Level, string, bool) {
	if r.Level < slog.LevelError || (r.Message != lostConnection && r.Message != failedDial) {
		return 0, "", false
	}
	var err error
	r.Attrs(func(a slog.Attr) bool {
		if a.Key == "error" {
			err, _ = a.Value.Any().(error)
			return false
		}
		return true
	})
	if err == nil {
		return 0, "", false
	}
	switch {
	case r.Message == failedDial && n.halt != nil && n.halt.Err() != nil && strings.Contains(err.Error(), errStopped.Error()):
		return slog.LevelDebug, "node: a dial to a peer ended as the node stopped", true
	case r.Message != lostConnection:
		return 0, "", false
	}
	s, _ := status.FromError(err)
	switch {
	case s.Code() == codes.Unavailable && (s.Message() == "EOF" || strings.HasSuffix(s.Message(), ": EOF")):
		return slog.LevelInfo, "node: peer closed its connection", true
	case s.Code() == codes.Canceled:
		return slog.LevelInfo, "node: connection to peer closed", true
	}
	return 0, "", false
}

// quietPeerLogs makes the logger of n's protoactor system log through
// peerLogs. protoactor keeps it in an unexported field that its remote
// reads at each record (nothing else sets it after the system is made):
// it is replaced, before remote starts, by a logger with the same
// handler, wrapped. If the field is not as expected (TestLoggerField
// guards it), the logger is left as it is.
func (n *Node) quietPeerLogs(as *actor.ActorSystem) {
	f := reflect.ValueOf(as).Elem().FieldByName("logger")
	if !f.IsValid() || f.Type() != reflect.TypeOf((*slog.Logger)(nil)) {
		return
	}
	p := (**slog.Logger)(unsafe.Pointer(f.UnsafeAddr()))
	if *p == nil {
		return
	}
	*p = slog.New(&peerLogs{inner: (*p).Handler(), n: n})
}
