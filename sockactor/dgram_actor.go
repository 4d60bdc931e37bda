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
}

func (a *dgramActor) Receive(c actor.Context) {
	defer func() {
		if r := recover(); r != nil {
			a.m.Stop()
			a.apply(c)
			c.Logger().Error("sockactor: datagram socket stopped after a panic", "err", panicError(r))
			c.Stop(c.Self())
		}
	}()
	switch msg := c.Message().(type) {
	case *actor.Started:
		a.started(c)
		a.ep.Start(a.sink())
	case *transportEvent:
		switch ev := msg.ev.(type) {
		case *EvDatagram:
			a.m.OnDatagram(*ev)
		case *EvSent:
			a.m.OnSent(ev.Errs)
		case *EvClosed:
			a.m.OnClosed()
		}
	case *RecvFrom:
		a.register(c, a.m.RecvFrom(msg.Timeout), msg, msg.ReplyTo, msg.Tag, msg.h)
	case *SendTo:
		a.register(c, a.m.SendTo(msg.Data, msg.Dst, false, msg.Timeout), msg, msg.ReplyTo, msg.Tag, msg.h)
	case *SendToQueue:
		a.register(c, a.m.SendTo(msg.Data, msg.Dst, true, msg.Timeout), msg, msg.ReplyTo, msg.Tag, msg.h)
	case *Disconnect:
		a.register(c, a.m.Disconnect(), msg, msg.ReplyTo, msg.Tag, msg.h)
	case *Cancel:
		if id, ok := a.cancelID(msg); ok {
			a.m.Cancel(id)
		}
	case *expire:
		a.m.Expire(msg.id)
	case *Close:
		a.m.Stop()
		a.apply(c)
		c.Stop(c.Self())
		return
	case *actor.Stopping:
		a.m.Stop()
	case *actor.Stopped:
		a.m.Stop()
		a.apply(c)
		a.finalize(c)
		return
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
				a.ep.Recv()
			case *EffSend:
				a.ep.Send(e.Batch)
			case *EffClose:
				a.ep.Close()
			case *EffStartTimer:
				a.startTimer(c, e)
			case *EffStopTimer:
				a.stopTimer(e)
			}
		}
	}
}
