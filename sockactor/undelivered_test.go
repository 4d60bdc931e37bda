package sockactor_test

import (
	"errors"
	"syscall"
	"testing"

	"github.com/actorio/actorio/sockactor"
	"github.com/asynkron/protoactor-go/actor"
)

// TestRequestToStoppedSocketCompletes: a request sent by an actor to a
// socket that has stopped completes once with ECONNABORTED, at its
// ReplyTo or else its sender, for every kind of socket.
//
// Found in review: such a request became a dead letter and nobody
// answered it (a sender got protoactor's DeadLetterResponse, a ReplyTo
// nothing at all), breaking the one-completion-per-request rule.
func TestRequestToStoppedSocketCompletes(t *testing.T) {
	sys, ctx := realSys(t)
	a, _ := connPair(t, sys, ctx)
	d, err := sockactor.ListenPacket(sys, sockactor.RealTransport(), "udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	l, err := sockactor.Listen(sys, sockactor.RealTransport(), "tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	a.Close()
	d.Close()
	l.Close()
	if err := a.WaitStopped(ctx); err != nil {
		t.Fatal(err)
	}
	if err := d.WaitStopped(ctx); err != nil {
		t.Fatal(err)
	}
	if err := l.WaitStopped(ctx); err != nil {
		t.Fatal(err)
	}
	act, replies := relay(t, sys)
	for _, tc := range []struct {
		to      *actor.PID
		req     any
		replyTo bool
	}{
		{a.PID(), &sockactor.WritevQueue{Bufs: [][]byte{{1}}}, true},
		{a.PID(), &sockactor.ReadPDU{Next: sockactor.LengthPrefixed(2, 10).Next}, false},
		{d.PID(), &sockactor.SendTo{Data: []byte{1}, Dst: d.LocalAddr()}, true},
		{d.PID(), &sockactor.RecvFrom{}, false},
		{l.PID(), &sockactor.Accept{}, true},
	} {
		if tc.replyTo {
			setReplyTo(tc.req, act)
			sys.Send(tc.to, tc.req)
		} else {
			sys.Send(act, func(c actor.Context) { c.Request(tc.to, tc.req) })
		}
		var got error
		switch m := within(t, replies, "the completion").(type) {
		case *sockactor.ReadPDUDone:
			got = m.Err
		case *sockactor.WritevDone:
			got = m.Err
		case *sockactor.RecvFromDone:
			got = m.Err
		case *sockactor.SendToDone:
			got = m.Err
		case *sockactor.AcceptDone:
			got = m.Err
		default:
			t.Fatalf("%T to a stopped socket: answered %#v", tc.req, m)
		}
		if !errors.Is(got, syscall.ECONNABORTED) {
			t.Fatalf("%T to a stopped socket: %v, want ECONNABORTED", tc.req, got)
		}
	}
}

func setReplyTo(req any, pid *actor.PID) {
	switch r := req.(type) {
	case *sockactor.WritevQueue:
		r.ReplyTo = pid
	case *sockactor.SendTo:
		r.ReplyTo = pid
	case *sockactor.Accept:
		r.ReplyTo = pid
	}
}
