package streamactor

import (
	"github.com/asynkron/protoactor-go/actor"
)

// request is what a Stream handle (or the message face) hands the end
// actor: an operation for the core, or a control call. A handle keeps one
// request per slot and reuses it, with its envelope and wake channel, so
// that a call allocates nothing.
type request struct {
	op  Op
	ctl ctlKind
	end int    // which end of the host actor
	seq uint64 // the handle's call number (event truthfulness)
	st  *Stream
	// wait: a data call that waits even on a NonBlock stream (ReadFrom
	// sending bytes it already took from its reader).
	wait bool

	// control arguments and results
	role   Role
	peer   *actor.PID
	reg    *eventReg
	events Event
	stats  Stats

	env   actor.MessageEnvelope
	wake  *waker     // a handle call: the caller waits on it
	reply *actor.PID // an actor's call: the result goes there
	tag   any
}

type ctlKind uint8

const (
	ctlNone ctlKind = iota
	ctlAttach
	ctlStats
	ctlEventAdd
	ctlEventUpdate
	ctlEventRemove
	ctlDispose
	ctlDetach
)

var ctlNames = [...]string{
	ctlAttach: "attach", ctlStats: "stats", ctlEventAdd: "event add callback",
	ctlEventUpdate: "event update callback", ctlEventRemove: "event remove callback",
	ctlDispose: "free", ctlDetach: "detach",
}

// what names the call the request carries, for errors: the control
// call's name, or the operation's.
func (r *request) what() string {
	if r.ctl != ctlNone && int(r.ctl) < len(ctlNames) {
		return ctlNames[r.ctl]
	}
	return r.op.Kind.String()
}

func newRequest() *request {
	r := &request{}
	r.op.owner = r
	r.env.Message = r
	return r
}

// requestOf returns the request an Op belongs to.
func requestOf(op *Op) *request { return op.owner }

// reset prepares the request for a new call.
func (r *request) reset(ctl ctlKind) {
	owner := r.op.owner
	r.op = Op{owner: owner}
	r.ctl = ctl
	r.wait = false
	r.role, r.peer, r.reg, r.events, r.stats = RoleNone, nil, nil, 0, Stats{}
	r.reply, r.tag = nil, nil
	r.env.Sender, r.env.Header = nil, nil
}

// signal wakes the caller waiting on the request.
func (r *request) signal() {
	if r.wake != nil {
		r.wake.signal()
	}
}
