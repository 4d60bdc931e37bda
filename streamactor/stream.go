package streamactor

import (
	"context"
	"runtime"
	"sync"
	"sync/atomic"

	"github.com/actorio/actorio/actors"
	"github.com/asynkron/protoactor-go/actor"
	"github.com/pkg/errors"
)

// Stream is the handle of one end of a stream: libvirt's virStreamPtr. Its
// methods block the calling goroutine (never an actor: actors use the
// message face, see SendRequest) until the end's actor answers; in a
// simulation the wait runs the World. A Stream is safe for use by several
// goroutines, but one data call (Send, Recv, SendHole, RecvHole) at a time:
// a second one concurrently gets ErrBusy, and so does a second Finish.
// Abort, Stats, Free and the event calls wait for one another. Each call
// returns its own results, whatever the other goroutines do.
type Stream struct {
	sys  *actors.System
	pid  *actor.PID
	cfg  Config
	idx  int // which end of its host actor
	refs atomic.Int64
	dead atomic.Bool // the actor stopped: every call fails at once
	// calls counts the handle's calls; the event executor uses it to drop
	// READABLE/WRITABLE reports made stale by a call in between.
	calls atomic.Uint64
	exec  *executor

	data slot // Send, Recv, SendHole, RecvHole
	fin  slot // Finish
	ctl  slot // Abort, Stats, events, attach, dispose (serialised)
}

// slot is a reusable request and its wake-up channel, for one call at a
// time.
type slot struct {
	mu   sync.Mutex
	req  *request
	wake *waker
}

func (s *slot) init(st *Stream) {
	s.req = newRequest()
	s.wake = newWaker()
	s.req.wake = s.wake
	s.req.st = st
}

// New returns a new, unattached stream end on sys (virStreamNew). Attach
// it with Connect, AttachFileSource or AttachFileSink before moving data
// (Pipe makes two ends already connected). The caller holds one
// reference; Free releases it.
func New(sys *actors.System, opts ...Option) (*Stream, error) {
	cfg, err := NewConfig(opts...)
	if err != nil {
		return nil, err
	}
	sts, err := spawnHost(sys, cfg, 1, nil)
	if err != nil {
		return nil, err
	}
	return sts[0], nil
}

// NewPeer returns a stream end on sys already attached, as role, to peer:
// an actor that speaks the stream protocol (Segment, Credit, Close) for
// the other end, such as a transport's proxy (package
// streamactor/remote's link to an end on another node). Unlike New
// followed by Connect it never waits, so an actor may call it. A
// receiving end grants its window to peer at once.
func NewPeer(sys *actors.System, role Role, peer *actor.PID, opts ...Option) (*Stream, error) {
	if peer == nil {
		return nil, errors.Wrap(ErrBadOption, "new peer: nil peer")
	}
	if role != RoleSender && role != RoleReceiver {
		return nil, errors.Wrapf(ErrBadOption, "new peer: role %v", role)
	}
	cfg, err := NewConfig(opts...)
	if err != nil {
		return nil, err
	}
	sts, err := spawnHost(sys, cfg, 1, func(e *end) error {
		if err := e.core.Attach(role); err != nil {
			return err
		}
		e.peer = peer
		return nil
	})
	if err != nil {
		return nil, err
	}
	return sts[0], nil
}

// spawnHost starts a host actor with n ends (1, or 2 for a pipe) and
// returns their handles. attach, if given, attaches the first end before
// the actor starts (its first output goes out when it does).
func spawnHost(sys *actors.System, cfg Config, n int, attach func(e *end) error) ([]*Stream, error) {
	if sys == nil {
		return nil, errors.Wrap(ErrBadOption, "new: nil system")
	}
	if sys.Canary(CanaryWindowOffByOne) {
		cfg.slack = segmentCost(cfg.MaxSegment)
	}
	h := &hostActor{}
	sts := make([]*Stream, n)
	for i := range sts {
		// Each end has its own executor, also the two ends of a Pipe: a
		// callback that waits (a sending end's Finish waits for the
		// receiving end's confirmation) must not hold back the other
		// end's callbacks.
		st := &Stream{sys: sys, cfg: cfg, idx: i, exec: newExecutor(sys.Clock())}
		st.refs.Store(1)
		st.data.init(st)
		st.fin.init(st)
		st.ctl.init(st)
		sts[i] = st
		h.ends = append(h.ends, &end{st: st, core: NewCore(cfg)})
	}
	if attach != nil {
		if err := attach(h.ends[0]); err != nil {
			return nil, err
		}
	}
	// The producer returns the same actor on a restart, so a panic does
	// not lose the streams' state (the actor aborts them instead).
	pid, err := sys.Spawn(actor.PropsFromProducer(func() actor.Actor { return h }, actors.HotPath()...))
	if err != nil {
		return nil, errors.Wrap(err, "streamactor: new")
	}
	for _, st := range sts {
		st.pid = pid
	}
	return sts, nil
}

// PID returns the address of the end's actor, for the message face.
func (s *Stream) PID() *actor.PID { return s.pid }

// System returns the system the stream lives on.
func (s *Stream) System() *actors.System { return s.sys }

// Config returns the stream's configuration.
func (s *Stream) Config() Config { return s.cfg }

// markDead is called by the actor when it stops: every caller waiting on
// a slot wakes (and finds its request not done), later calls fail at once.
func (s *Stream) markDead() {
	s.dead.Store(true)
	s.data.wake.signal()
	s.fin.wake.signal()
	s.ctl.wake.signal()
}

var errDead = errors.Wrap(ErrClosed, "stream actor stopped")

func errFreed(what string) error { return errors.Wrap(ErrFreed, what) }

// call runs the request in sl through the actor and waits for it. If ctx
// ends first, the actor is told to cancel and the call returns what was
// done (a partial Send keeps its count) with ctx's error. The wait for the
// cancellation's answer is unbounded, but the answer always comes: every
// request is completed, parked (then cancelled) or, if the actor panicked
// while serving it, failed with ErrInternal by the restart; and a stopped
// actor wakes every caller (markDead).
func (s *Stream) call(ctx context.Context, sl *slot) error {
	r := sl.req
	r.end = s.idx
	if s.refs.Load() <= 0 {
		return errFreed(r.what())
	}
	if s.dead.Load() {
		return errDead
	}
	r.seq = s.calls.Add(1)
	sl.wake.drain()
	if s.dead.Load() {
		// The actor died since the check above, and drain may have taken
		// the token it left: do not wait for a reply that cannot come.
		return errDead
	}
	s.sys.Send(s.pid, &r.env)
	if err := s.sys.Wait(ctx, sl.wake.C()); err != nil {
		// Give up: the actor cancels the call if it is parked, and
		// either way one token comes back.
		s.sys.Send(s.pid, &cancelReq{req: r, end: s.idx, err: err})
		if werr := s.sys.Wait(context.Background(), sl.wake.C()); werr != nil && !r.op.Done {
			return errors.Wrapf(werr, "streamactor: %s: waiting for the cancellation", r.what())
		}
		if r.op.Done && r.op.Err == nil {
			return nil // it completed meanwhile: nothing is lost
		}
	}
	if !r.op.Done {
		return errDead
	}
	return nil
}

// dataResult is what a data call returns, copied out of the data slot's
// request while the slot is still held: once it is released, a call on
// another goroutine may reuse the request.
type dataResult struct {
	n       int
	hole    int64
	handoff bool
}

// dataCall runs op in the data slot and returns its results.
func (s *Stream) dataCall(ctx context.Context, fill func(op *Op)) (dataResult, error) {
	if !s.data.mu.TryLock() {
		return dataResult{}, errors.Wrap(ErrBusy, "another data call is pending on this stream")
	}
	defer s.data.mu.Unlock()
	r := s.data.req
	r.reset(ctlNone)
	fill(&r.op)
	err := s.call(ctx, &s.data)
	if err == nil {
		err = r.op.Err
	}
	res := dataResult{n: r.op.N, hole: r.op.Hole, handoff: r.op.Handoff}
	r.op.Buf = nil // the caller's buffer is not kept
	return res, err
}

// Send sends data (virStreamSend). A blocking stream returns once all of
// p is accepted (the receiver's window limits what is in flight); a
// NonBlock stream accepts what fits now, and returns ErrWouldBlock if
// nothing does. Sending 0 bytes does nothing (it is never EOF). An error
// the peer or a driver raised earlier is returned here (libvirt: errors
// "may be delayed until a subsequent call").
func (s *Stream) Send(ctx context.Context, p []byte) (int, error) {
	res, err := s.dataCall(ctx, func(op *Op) { op.Kind, op.Buf = OpSend, p })
	if res.handoff {
		// The data went straight into a waiting Recv: let the receiver
		// run, so that it is waiting again for the next Send (one copy
		// per chunk instead of two).
		runtime.Gosched()
	}
	return res.n, err
}

// Recv receives data (virStreamRecv): 0 < n ≤ len(p) bytes, with holes
// read as zeros. At the end of the stream it returns 0, io.EOF, and keeps
// doing so. A NonBlock stream returns ErrWouldBlock when nothing is
// waiting. Recv with an empty p returns 0, nil.
func (s *Stream) Recv(ctx context.Context, p []byte) (int, error) {
	return s.RecvFlags(ctx, p, 0)
}

// RecvFlags is Recv with flags (virStreamRecvFlags). With RecvStopAtHole
// it stops before a hole: when the stream is at a hole it returns 0,
// ErrHole (libvirt's -3) and consumes nothing; RecvHole then takes the
// hole.
func (s *Stream) RecvFlags(ctx context.Context, p []byte, flags RecvFlag) (int, error) {
	res, err := s.dataCall(ctx, func(op *Op) { op.Kind, op.Buf, op.Flags = OpRecv, p, uint32(flags) })
	return res.n, err
}

// SendHole asks the receiver to create length bytes of empty space
// (virStreamSendHole). Only on Sparse streams; length must be > 0; flags
// must be 0. A hole costs credit like a small segment, so it may wait.
func (s *Stream) SendHole(ctx context.Context, length int64, flags uint32) error {
	_, err := s.dataCall(ctx, func(op *Op) { op.Kind, op.Len, op.Flags = OpSendHole, length, flags })
	return err
}

// RecvHole takes the hole at the head of the stream and returns its
// length (virStreamRecvHole), always > 0. With no hole at the head it
// returns 0, nil and does not wait (libvirt's remote driver; its docs say
// -1). Only on Sparse streams; flags must be 0.
func (s *Stream) RecvHole(ctx context.Context, flags uint32) (int64, error) {
	res, err := s.dataCall(ctx, func(op *Op) { op.Kind, op.Flags = OpRecvHole, flags })
	return res.hole, err
}

// Finish ends the stream (virStreamFinish) and is its synchronisation
// point. On the sending end it sends the end of the stream and waits
// until the receiver took everything and its consumer confirmed it (a
// file sink: written, truncated for a trailing hole, synced and closed);
// it returns nil only then. Any error on the way, including one after the
// last Send, is returned. On the receiving end it confirms, after Recv
// returned io.EOF, that everything was received (ErrNotAtEOF before that,
// even if everything has arrived, leaving the stream as it was). Finish
// waits even on NonBlock streams. A second Finish returns ErrClosed (or
// ErrBusy while the first is pending).
func (s *Stream) Finish(ctx context.Context) error {
	if !s.fin.mu.TryLock() {
		return errors.Wrap(ErrBusy, "finish: already finishing")
	}
	defer s.fin.mu.Unlock()
	r := s.fin.req
	r.reset(ctlNone)
	r.op.Kind = OpFinish
	if err := s.call(ctx, &s.fin); err != nil {
		return err
	}
	return r.op.Err
}

// Abort cancels the transfer (virStreamAbort): the other end is told,
// data still queued is dropped, pending calls fail, and a registered
// callback is told ERROR once, then freed. Aborting a finished, aborted
// or never attached stream does nothing. Abort returns nil (unlike
// libvirt's remote driver, it does not re-raise a latched error); it only
// fails if the stream was freed or its actor is gone.
func (s *Stream) Abort(ctx context.Context) error {
	return s.abort(ctx, nil)
}

// AbortWith is Abort with a reason: the other end's next call returns a
// *PeerError whose Cause is cause (errors.Is finds it), as when an *All
// helper's callback fails. A relay between two streams passes on the
// error that stopped it this way.
func (s *Stream) AbortWith(ctx context.Context, cause error) error {
	return s.abort(ctx, cause)
}

// abort aborts with cause, which the peer sees (the *All helpers give the
// original error of a failed callback).
func (s *Stream) abort(ctx context.Context, cause error) error {
	s.ctl.mu.Lock()
	defer s.ctl.mu.Unlock()
	r := s.ctl.req
	r.reset(ctlNone)
	r.op.Kind, r.op.Cause = OpAbort, cause
	if err := s.call(ctx, &s.ctl); err != nil {
		if errors.Is(err, ErrClosed) {
			return nil // the actor is gone: the stream is closed already
		}
		return err
	}
	return r.op.Err
}

// ctlCall runs a control request; read, if given, takes the results out
// of the slot's request while the slot is still held (once it is
// released, another call may reuse the request).
func (s *Stream) ctlCall(ctx context.Context, kind ctlKind, fill, read func(r *request)) error {
	s.ctl.mu.Lock()
	defer s.ctl.mu.Unlock()
	r := s.ctl.req
	r.reset(kind)
	if fill != nil {
		fill(r)
	}
	if err := s.call(ctx, &s.ctl); err != nil {
		return err
	}
	if read != nil {
		read(r)
	}
	return r.op.Err
}

// Stats returns the end's counters: what its receive queue holds (never
// more than the window), its credit, the bytes moved.
func (s *Stream) Stats(ctx context.Context) (Stats, error) {
	var st Stats
	err := s.ctlCall(ctx, ctlStats, nil, func(r *request) { st = r.stats })
	return st, err
}

// Ref adds a reference to the stream (virStreamRef); each needs a
// matching Free.
func (s *Stream) Ref() error {
	for {
		n := s.refs.Load()
		if n <= 0 {
			return errors.Wrap(ErrFreed, "ref")
		}
		if s.refs.CompareAndSwap(n, n+1) {
			return nil
		}
	}
}

// Free releases a reference (virStreamFree). The last one disposes of the
// stream: an unfinished stream is aborted (and a warning logged), a
// registered callback is freed, and the end's actor stops. A Free without
// a reference returns ErrFreed.
func (s *Stream) Free() error {
	for {
		n := s.refs.Load()
		if n <= 0 {
			return errors.Wrap(ErrFreed, "free")
		}
		if s.refs.CompareAndSwap(n, n-1) {
			if n > 1 {
				return nil
			}
			break
		}
	}
	if s.dead.Load() {
		return nil
	}
	s.ctl.mu.Lock()
	defer s.ctl.mu.Unlock()
	r := s.ctl.req
	r.reset(ctlDispose)
	r.end = s.idx
	r.seq = s.calls.Add(1)
	s.ctl.wake.drain()
	if s.dead.Load() {
		return nil // stopped meanwhile (see call)
	}
	s.sys.Send(s.pid, &r.env)
	if err := s.sys.Wait(context.Background(), s.ctl.wake.C()); err != nil {
		return errors.Wrap(err, "streamactor: free")
	}
	return nil
}

// attach connects this end to peer in role (used by Connect and the
// drivers).
func (s *Stream) attach(ctx context.Context, role Role, peer *actor.PID) error {
	return s.ctlCall(ctx, ctlAttach, func(r *request) { r.role, r.peer = role, peer }, nil)
}

// detach undoes attach after the peer refused to be attached (Connect):
// the end forgets its peer, so that nothing it says reaches the peer, and
// is unattached again (aborted instead if a call moved something
// meanwhile).
func (s *Stream) detach(ctx context.Context) error {
	return s.ctlCall(ctx, ctlDetach, nil, nil)
}
