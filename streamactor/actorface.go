package streamactor

import (
	"github.com/asynkron/protoactor-go/actor"
)

// The message face: actors must not block, so they drive a stream by
// message. Each method below sends the call to the stream's actor from
// inside the calling actor's Receive and returns at once; the result comes
// back to the caller as a message (*SendResult, *RecvResult or
// *CloseResult) once the call completes, exactly once. On a blocking
// stream a call parks as the blocking face's would (a Send until credit
// arrives, a Recv until data does). tag comes back untouched. A RecvAsync
// buffer belongs to the stream until its result arrives.

// SendAsync is Send for actors; answered with *SendResult.
func (s *Stream) SendAsync(ctx actor.Context, p []byte, tag any) {
	s.async(ctx, OpSend, tag, func(op *Op) { op.Buf = p })
}

// SendHoleAsync is SendHole for actors; answered with *SendResult.
func (s *Stream) SendHoleAsync(ctx actor.Context, length int64, tag any) {
	s.async(ctx, OpSendHole, tag, func(op *Op) { op.Len = length })
}

// RecvAsync is RecvFlags for actors; answered with *RecvResult (N bytes
// in Buf).
func (s *Stream) RecvAsync(ctx actor.Context, buf []byte, flags RecvFlag, tag any) {
	s.async(ctx, OpRecv, tag, func(op *Op) { op.Buf, op.Flags = buf, uint32(flags) })
}

// RecvHoleAsync is RecvHole for actors; answered with *RecvResult (Hole).
func (s *Stream) RecvHoleAsync(ctx actor.Context, tag any) {
	s.async(ctx, OpRecvHole, tag, nil)
}

// FinishAsync is Finish for actors; answered with *CloseResult.
func (s *Stream) FinishAsync(ctx actor.Context, tag any) {
	s.async(ctx, OpFinish, tag, nil)
}

// AbortAsync is Abort for actors, with an optional reason the peer sees;
// answered with *CloseResult.
func (s *Stream) AbortAsync(ctx actor.Context, cause error, tag any) {
	s.async(ctx, OpAbort, tag, func(op *Op) { op.Cause = cause })
}

// SendResult answers SendAsync and SendHoleAsync.
type SendResult struct {
	Stream *Stream
	Tag    any
	N      int
	Err    error
}

// RecvResult answers RecvAsync (N bytes in Buf) and RecvHoleAsync (Hole).
type RecvResult struct {
	Stream *Stream
	Tag    any
	Buf    []byte
	N      int
	Hole   int64
	Err    error
}

// CloseResult answers FinishAsync and AbortAsync.
type CloseResult struct {
	Stream *Stream
	Tag    any
	Err    error
}

func (s *Stream) async(ctx actor.Context, kind OpKind, tag any, fill func(op *Op)) {
	r := newRequest()
	r.op.Kind, r.tag, r.reply, r.end, r.st = kind, tag, ctx.Self(), s.idx, s
	if fill != nil {
		fill(&r.op)
	}
	if s.dead.Load() || s.refs.Load() <= 0 {
		r.op.Done, r.op.Err = true, errDead
		if s.refs.Load() <= 0 {
			r.op.Err = errFreed(kind.String())
		}
		ctx.Send(r.reply, r.result())
		return
	}
	r.seq = s.calls.Add(1)
	ctx.Send(s.pid, &r.env)
}

// result is the answer to an actor's request.
func (r *request) result() any {
	switch r.op.Kind {
	case OpSend, OpSendHole:
		return &SendResult{Stream: r.st, Tag: r.tag, N: r.op.N, Err: r.op.Err}
	case OpRecv, OpRecvHole:
		return &RecvResult{Stream: r.st, Tag: r.tag, Buf: r.op.Buf, N: r.op.N, Hole: r.op.Hole, Err: r.op.Err}
	}
	return &CloseResult{Stream: r.st, Tag: r.tag, Err: r.op.Err}
}
