package sockactor

import (
	"github.com/asynkron/protoactor-go/actor"
)

// dgramActor is the datagram socket actor: a thin shell around a
// DgramMachine and one Packet endpoint.
type dgramActor struct {
	shell
	m  *DgramMachine
	ep Packet
	// sout: a Send batch is outstanding (from EffSend to its EvSent); ep
	// may read its datagrams until then.
	sout bool
}

func (a *dgramActor) Receive(c actor.Context) {
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
		a.ep.Start(a.sink())
	case *transportEvent:
		switch ev := msg.ev.(type) {
		case *EvDatagram:
			a.m.OnDatagram(*ev)
		case *EvDatagrams:
			a.m.OnDatagrams(ev.Datagrams)
		case *EvSent:
			a.sout = false
			a.m.OnSent(ev.Errs)
		case *EvClosed:
			a.sout = false
			a.m.OnClosed()
		}
	case *RecvFrom:
		if a.claim(c, msg) {
			a.register(c, a.m.RecvFrom(msg.Timeout), msg, msg.ReplyTo, msg.Tag)
		}
	case *SendTo:
		if a.claim(c, msg) {
			a.register(c, a.m.SendTo(msg.Data, msg.Dst, false, msg.Timeout), msg, msg.ReplyTo, msg.Tag)
		}
	case *SendToQueue:
		if a.claim(c, msg) {
			a.register(c, a.m.SendTo(msg.Data, msg.Dst, true, msg.Timeout), msg, msg.ReplyTo, msg.Tag)
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

func (a *dgramActor) apply(c actor.Context) {
	for {
		effs := a.m.Effects()
		if len(effs) == 0 {
			return
		}
		for _, e := range effs {
			switch e := e.(type) {
			case *Completion:
				a.deliver(c, e)
			case *EffRecv:
				if br, ok := a.ep.(PacketBatchReceiver); ok && e.Max > 1 {
					br.RecvUpTo(e.Max)
				} else {
					a.ep.Recv()
				}
			case *EffSend:
				a.ep.Send(e.Batch)
				a.sout = true
			case *EffAbortSend:
				if a.sout {
					a.ep.AbortSend()
				}
			case *EffClose:
				if a.sout {
					// As for a stream (connActor.closeEndpoint): the
					// endpoint may read the batch's datagrams until it
					// reports the batch or its close.
					a.sout = false
					a.linger.arm(a.sys, a.self, a.gen)
				}
				a.ep.Close()
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
