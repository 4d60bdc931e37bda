package signalbus

import (
	"strconv"

	"github.com/actorio/actorio/actors"
	"github.com/actorio/actorio/internal/wire"
	"github.com/asynkron/protoactor-go/actor"
	"github.com/pkg/errors"
)

// The servers a client has connections with, and which incarnation of
// each it talks to: a check.
//
// A Terminated does not say which incarnation of a server it is about: a
// restarted node's server has the same PID as the one before, and the
// Terminated about the old one (its node crashed) can arrive after the
// client has connected to the new one. The client cannot drop every
// connection with that PID then: those with the new incarnation are
// alive.
//
// So each answer of a server carries its incarnation (SignalConnected's
// server epoch, random and drawn when the server starts; 0 from a server
// that predates it), which the client keeps with the connection and as
// the incarnation it knows last of that server. Once it has had answers
// from two incarnations of a server (while it had connections with it, or
// one before its last connection there ended and one after: see
// forgottenPeers), a Terminated about the server is checked before
// anything is dropped: the client asks the server which incarnation it
// is (a SignalAudit with that incarnation and a token; the server answers
// with its own and the token) and, with the answer, ends the connections
// answered by another incarnation (gone: ErrPeerGone, "the server
// restarted"), keeps the others and watches the server again (the
// transport may have dropped the watch with the old incarnation's). With
// no answer within probeTries client ticks, the Terminated stands, as
// without a check. The wire side is described in
// internal/wire/signal.proto.

// serverInc is what a client knows of a server it has connections with.
type serverInc struct {
	n     int    // connections with it (it is watched while n > 0)
	epoch uint64 // the incarnation that answered last (0: unknown)
	mixed bool   // answers came from two incarnations: a Terminated is checked
	check *serverCheck
}

// serverCheck is a question to a server: which incarnation is alive.
type serverCheck struct {
	token string
	tries int
	why   string // the Terminated's reason, standing if no answer comes
}

// clientServers is the client's part of checking servers.
type clientServers struct {
	servers map[string]*serverInc // server (address/id) → what the client knows of it
	checks  uint64                // checks sent: their tokens
	// forgotten holds the incarnation of the servers the client has no
	// connection with any more, until it has one again or a Terminated
	// about the server arrives.
	forgotten forgottenPeers
}

// watchServer counts a connection with k's server, watching the server
// for the first one.
func (x *client) watchServer(c actor.Context, k *cconn) {
	key := pidKey(k.server)
	s := x.servers[key]
	if s == nil {
		s = &serverInc{}
		s.epoch, _ = x.forgotten.take(key)
		x.servers[key] = s
		c.Watch(k.server)
	}
	s.n++
}

// unwatchServer counts a connection with k's server gone, forgetting the
// server (and unwatching it) with the last one.
func (x *client) unwatchServer(c actor.Context, k *cconn) {
	key := pidKey(k.server)
	s := x.servers[key]
	if s == nil {
		return
	}
	if s.n--; s.n <= 0 {
		delete(x.servers, key)
		c.Unwatch(k.server)
		if s.epoch != 0 {
			x.forgotten.note(key, s.epoch)
		}
	}
}

// learnServer notes the server incarnation that answered k's connect.
func (x *client) learnServer(k *cconn, epoch uint64) {
	if epoch == 0 {
		return // a server that does not say
	}
	k.srvEpoch = epoch
	s := x.servers[pidKey(k.server)]
	if s == nil {
		return
	}
	if s.epoch != 0 && s.epoch != epoch {
		s.mixed = true
	}
	s.epoch = epoch
}

// terminated takes a Terminated: about a server (its connections end, or
// are checked first, see above), or about an actor slot (its connections
// end, as local ones).
func (x *client) terminated(c actor.Context, m *actor.Terminated) {
	key := pidKey(m.GetWho())
	why := m.GetWhy().String()
	if s := x.servers[key]; s != nil && s.mixed {
		x.startCheck(c, m.GetWho(), s, why)
	} else if s != nil {
		x.dropServer(c, key, why)
	} else {
		x.forgotten.drop(key)
	}
	for _, h := range actors.SortedKeys(x.conns) {
		k := x.conns[h]
		if k != nil && k.slot != nil && !k.exec && k.bind.named(m.GetWho()) && k.bind.gone(c.ActorSystem()) {
			// The slot actor stopped: the connection goes, as a local
			// one (not one of a newer actor that took its name).
			if _, err := x.bus.unlink(h, k.link.owner, k.host); err == nil {
				x.disconnect(c, &rdisconnectReq{h: h})
			}
		}
	}
}

// dropServer ends every connection with server key: it is gone (why).
func (x *client) dropServer(c actor.Context, key, why string) {
	for _, h := range actors.SortedKeys(x.conns) {
		k := x.conns[h]
		switch {
		case pidKey(k.server) != key:
		case k.phase == closing:
			x.forget(c, k)
		default:
			x.lose(c, k, errors.Wrapf(ErrPeerGone, "signalbus: remote %s at %s: %s", k.req.GetType(), key, why))
		}
	}
}

// startCheck asks server who which incarnation it is, unless a check is
// under way (which then stands for this Terminated too).
func (x *client) startCheck(c actor.Context, who *actor.PID, s *serverInc, why string) {
	if s.check != nil {
		s.check.why = why
		return
	}
	x.checks++
	s.check = &serverCheck{token: "c" + strconv.FormatUint(x.checks, 10), why: why}
	x.sendCheck(c, actor.NewPID(who.GetAddress(), who.GetId()), s)
	x.arm(c)
}

func (x *client) sendCheck(c actor.Context, to *actor.PID, s *serverInc) {
	x.send(c, to, &wire.SignalAudit{Epoch: x.epoch, ServerEpoch: s.epoch, Conns: []string{""}, Streams: []string{s.check.token}})
}

// checkTick sends the checks awaiting an answer again, and lets the
// Terminated stand for those that waited long enough.
func (x *client) checkTick(c actor.Context) {
	for _, key := range actors.SortedKeys(x.servers) {
		s := x.servers[key]
		if s == nil || s.check == nil {
			continue
		}
		if s.check.tries++; s.check.tries < probeTries {
			if k := x.anyConn(key); k != nil {
				x.sendCheck(c, k.server, s)
			}
			continue
		}
		why := s.check.why
		s.check = nil
		x.dropServer(c, key, why)
	}
}

// anyConn returns a connection with server key (nil: none).
func (x *client) anyConn(key string) *cconn {
	for _, h := range actors.SortedKeys(x.conns) {
		if k := x.conns[h]; pidKey(k.server) == key {
			return k
		}
	}
	return nil
}

// checked takes a server's answer to a check: the connections answered
// by another incarnation than the live one end, the others stay.
func (x *client) checked(c actor.Context, m *wire.SignalAudit) {
	from := c.Sender()
	if from == nil {
		x.stats.Foreign++
		return
	}
	key := pidKey(from)
	s := x.servers[key]
	if s == nil || s.check == nil || auditToken(m) != s.check.token || m.GetEpoch() != x.epoch {
		return // an answer to an earlier check, or of another incarnation of the client
	}
	s.check = nil
	live := m.GetServerEpoch()
	s.epoch = live
	for _, h := range actors.SortedKeys(x.conns) {
		k := x.conns[h]
		switch {
		case pidKey(k.server) != key || k.srvEpoch == 0 || k.srvEpoch == live:
		case k.phase == closing:
			x.forget(c, k)
		default:
			x.lose(c, k, errors.Wrapf(ErrPeerGone, "signalbus: remote %s at %s: the server restarted", k.req.GetType(), key))
		}
	}
	if x.servers[key] == s {
		// The Terminated was about an older incarnation: the
		// transport may have dropped this one's watch with that one's.
		c.Watch(actor.NewPID(from.GetAddress(), from.GetId()))
	}
}
