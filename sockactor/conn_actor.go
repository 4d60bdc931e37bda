package sockactor

import (
	"github.com/asynkron/protoactor-go/actor"
)

// connActor is the stream socket actor: a thin shell around a
// StreamMachine that turns messages into machine inputs and carries out
// the machine's effects on its transport endpoint.
type connActor struct {
	shell
	m  *StreamMachine
	tr Transport
	ep Stream
	// wout: a Write is outstanding on ep (from EffWrite to its
	// EvWritten); ep may read its buffers until then.
	wout bool
	// conn is told the addresses once connected (for the Go face).
	conn *Conn
}

func newConnActor(cfg StreamConfig, tr Transport, ep Stream, conn *Conn) *connActor {
	a := &connActor{shell: newShell(conn.face, "stream"), m: NewStreamMachine(cfg, ep != nil), tr: tr, ep: ep, conn: conn}
	return a
}

func (a *connActor) Receive(c actor.Context) {
	defer a.recoverPanic(c, a.m, a.apply)
	msg := c.Message()
	if handled, done := a.common(c, msg, a.m, a.apply); handled {
		if !done {
			a.apply(c)
		}
		return
	}
	switch msg := msg.(type) {
	case *actor.Started:
		a.started(c)
		if a.ep != nil {
			a.ep.Start(a.sink())
		}
	case *transportEvent:
		a.event(msg)
	case *ReadPDU:
		if a.claim(c, msg) {
			a.register(c, a.m.Readv(msg.Next, false, msg.Timeout), msg, msg.ReplyTo, msg.Tag)
		}
	case *ReadPDUQueue:
		if a.claim(c, msg) {
			a.register(c, a.m.Readv(msg.Next, true, msg.Timeout), msg, msg.ReplyTo, msg.Tag)
		}
	case *ReadPDUs:
		if a.claim(c, msg) {
			a.register(c, a.m.ReadPDUs(msg.Frame, msg.Max, msg.Timeout), msg, msg.ReplyTo, msg.Tag)
		}
	case *Writev:
		if a.claim(c, msg) {
			a.register(c, a.m.Writev(msg.Bufs, false, msg.Timeout), msg, msg.ReplyTo, msg.Tag)
		}
	case *WritevQueue:
		if a.claim(c, msg) {
			a.register(c, a.m.Writev(msg.Bufs, true, msg.Timeout), msg, msg.ReplyTo, msg.Tag)
		}
	case *Connect:
		if a.claim(c, msg) {
			a.register(c, a.m.Connect(msg.Network, msg.Addr, msg.Timeout), msg, msg.ReplyTo, msg.Tag)
		}
	case *Disconnect:
		if a.claim(c, msg) {
			a.register(c, a.m.Disconnect(), msg, msg.ReplyTo, msg.Tag)
		}
	default:
		a.unsupported(c, msg)
	}
	a.apply(c)
}

// event feeds a transport event of the current endpoint to the machine.
func (a *connActor) event(te *transportEvent) {
	if te.gen != a.gen {
		return // an endpoint that was closed and replaced
	}
	switch ev := te.ev.(type) {
	case *EvConnected:
		if ev.Err == nil && a.conn != nil {
			a.conn.setAddrs(ev.Local, ev.Remote)
		}
		a.m.OnConnected(ev.Local, ev.Remote, ev.Err)
	case *EvData:
		a.m.OnDataFree(ev.Data, ev.Free, ev.Err)
	case *EvWritten:
		a.wout = false
		a.m.OnWritten(ev.N, ev.Err)
	case *EvClosed:
		a.ep, a.wout = nil, false
		a.m.OnClosed()
	}
}

// apply carries out the machine's effects until it has none left.
func (a *connActor) apply(c actor.Context) {
	for {
		effs := a.m.Effects()
		if len(effs) == 0 {
			return
		}
		for _, e := range effs {
			switch e := e.(type) {
			case *Completion:
				a.deliver(c, e)
			case *EffRead:
				if a.ep != nil {
					a.ep.Read(e.Max)
				}
			case *EffWrite:
				if a.ep != nil {
					a.ep.Write(e.Bufs)
					a.wout = true
				}
			case *EffAbortWrite:
				if a.ep != nil {
					a.ep.AbortWrite()
				}
			case *EffClose:
				a.closeEndpoint()
			case *EffConnect:
				a.connect(e)
			case *EffFlush:
				c.Send(c.Self(), &flush{})
			case *EffStartTimer:
				a.startTimer(c, e)
			case *EffStopTimer:
				a.stopTimer(e)
			}
		}
	}
}

func (a *connActor) closeEndpoint() {
	if a.ep == nil {
		return
	}
	if a.wout {
		// Closing with a write outstanding: only a stop does that, and
		// it completes the writes at once, but the endpoint may read
		// their buffers until it reports the write or its close. Their
		// completions wait for that report (the sink releases them, also
		// once this actor is gone).
		a.wout = false
		a.linger.arm(a.sys, a.self, a.gen)
	}
	a.ep.Close()
	if a.m.State() != StateDisconnecting {
		// Nobody waits for this endpoint's EvClosed: move on.
		a.ep = nil
		a.gen++
	}
}

func (a *connActor) connect(e *EffConnect) {
	a.gen++
	ep, err := a.tr.Connect(e.Network, e.Addr, a.sink())
	if err != nil {
		a.m.OnConnected(nil, nil, err)
		return
	}
	a.ep = ep
}
