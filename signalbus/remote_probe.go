package signalbus

import (
	"strconv"

	"github.com/actorio/actorio/actors"
	"github.com/actorio/actorio/internal/wire"
	"github.com/asynkron/protoactor-go/actor"
)

// Asking a subscriber's client which incarnation it is and which
// connections it holds with this server: a probe.
//
// Three things the server cannot tell on its own. A Terminated does not
// say which incarnation of a client it is about (a restarted node's
// client has the same PID), so one about an incarnation that is gone can
// arrive after the next one has connected. Two incarnations that started
// at the same instant cannot be ordered by their start times. And a
// connection the client dropped while its disconnects were lost (a long
// partition) is never named again by the client, whose periodic audit
// only lists the connections it has.
//
// So the server asks: a probe is a SignalAudit to the client carrying only
// a token (one entry: no connection, the token as its stream). The client
// answers with an audit of its own: its epoch, the connections it holds
// with the server (open ones with their streams, those still connecting
// with no stream) and, as the same kind of entry, the token. The answer
// was sent after the probe arrived, so:
//   - another epoch than the one the server knows means that incarnation
//     is gone: its connections are removed (PeerLoss "restarted");
//   - the same epoch means it is alive, and a connection the server
//     accepted before it sent the probe that the answer does not name was
//     dropped by the client (the client sent its connect before it
//     answered, so it would name it): it is removed, and the client is
//     sent the confirmation of a disconnect, which ends it there if it is
//     still closing it.
//
// With no answer within probeTries server ticks, a probe asked by a
// Terminated takes the client for gone, as the Terminated said; any other
// concludes nothing (a partition: the watch reports a death).
//
// The server probes a client on a Terminated when its record follows a
// record of another incarnation, replaced by it or forgotten with its
// last connection (the Terminated may be about that one:
// remote_forgotten.go); on a connect
// of another incarnation that started at the same instant as the one it
// knows (the connect is not answered meanwhile: the client repeats it);
// and every auditEvery ticks, unless the client's own audit since the
// last round named every connection the server holds for it.

// probeTries is how many server ticks a probe waits for its answer (sent
// again each tick).
const probeTries = auditEvery

// serverProbes is the server's part of probing.
type serverProbes struct {
	tokens  uint64 // probes sent
	accepts uint64 // connections accepted: sconn.seq
	ticks   int
	// forgotten holds the incarnations of the clients whose record is
	// gone, until the next record of theirs is made: a Terminated may
	// still come about the old one (remote_forgotten.go).
	forgotten forgottenPeers
}

// peerProbe is a peer's part of probing.
type peerProbe struct {
	succeeded bool   // this record follows a record of another incarnation
	confirmed bool   // an audit since the last round named every connection
	probe     *probe // the probe awaiting an answer
}

// probe is a question to a client.
type probe struct {
	token string
	seq   uint64 // the connections accepted when it was sent (sconn.seq ≤ seq)
	tries int
	why   string // set when a Terminated asked: no answer means the client is gone
}

// arm starts the server's ticker (resends, probes) if it is not running.
func (s *server) arm(c actor.Context) {
	if s.ticker == nil {
		s.ticker = actors.Every(c, s.cfg.retry, &serverTick{})
	}
}

// startProbe asks p's client about itself; why (if set) is the reason of
// a Terminated, which stands if the client does not answer.
func (s *server) startProbe(c actor.Context, p *peer, why string) {
	if p.probe != nil {
		if why != "" {
			p.probe.why = why
		}
		return
	}
	s.tokens++
	p.probe = &probe{token: "p" + strconv.FormatUint(s.tokens, 10), seq: s.accepts, why: why}
	s.sendProbe(c, p)
	s.arm(c)
}

func (s *server) sendProbe(c actor.Context, p *peer) {
	c.Request(p.pid, &wire.SignalAudit{Epoch: p.epoch, Conns: []string{""}, Streams: []string{p.probe.token}})
}

// auditToken returns the probe token an audit carries (empty: none).
func auditToken(m *wire.SignalAudit) string {
	for i, id := range m.GetConns() {
		if id == "" && i < len(m.GetStreams()) {
			return m.GetStreams()[i]
		}
	}
	return ""
}

// audit takes a client's list of its connections: periodic, or the
// answer to a probe. It tells the client about the open connections it
// names that the server does not have (not about those still
// connecting: their connect may be on its way).
func (s *server) audit(c actor.Context, m *wire.SignalAudit) {
	from := c.Sender()
	if from == nil {
		return
	}
	if m.GetServerEpoch() != 0 {
		s.answerCheck(c, from, m)
		return
	}
	listed := map[string]string{}
	for i, id := range m.GetConns() {
		stream := ""
		if i < len(m.GetStreams()) {
			stream = m.GetStreams()[i]
		}
		if id == "" {
			continue
		}
		listed[id] = stream
		if stream != "" && s.find(from, m.GetEpoch(), id, stream) == nil {
			s.tell(c, from, m.GetEpoch(), id, stream, reasonUnknown)
		}
	}
	p := s.peers[pidKey(from)]
	if p == nil {
		return
	}
	if token := auditToken(m); token != "" && p.probe != nil && token == p.probe.token {
		s.answered(c, p, m.GetEpoch(), listed)
		return
	}
	if m.GetEpoch() != p.epoch {
		return
	}
	for id, k := range p.conns { //detguard:unordered only checks that every one is listed
		if listed[id] != k.stream {
			return
		}
	}
	p.confirmed = true
}

// answerCheck answers a client's check (a SignalAudit with a server
// epoch: which incarnation of this server is alive, see
// remote_client_server.go) with this incarnation's epoch and the check's
// token.
func (s *server) answerCheck(c actor.Context, from *actor.PID, m *wire.SignalAudit) {
	c.Request(actor.NewPID(from.GetAddress(), from.GetId()),
		&wire.SignalAudit{Epoch: m.GetEpoch(), ServerEpoch: s.epoch, Conns: []string{""}, Streams: []string{auditToken(m)}})
}

// answered takes the client's answer to p's probe (see above).
func (s *server) answered(c actor.Context, p *peer, epoch uint64, listed map[string]string) {
	pr := p.probe
	p.probe = nil
	if epoch != p.epoch {
		// The incarnation the server knows is gone.
		delete(s.peers, p.key)
		c.Unwatch(p.pid)
		s.forgotten.note(p.key, p.epoch)
		s.dropConns(c, p, "restarted")
		return
	}
	p.confirmed = true
	if pr.why != "" {
		// The Terminated was about an older incarnation: the transport
		// may have dropped this one's watch with that one's.
		c.Watch(p.pid)
	}
	for _, id := range actors.SortedKeys(p.conns) {
		k := p.conns[id]
		if stream, ok := listed[id]; k.seq > pr.seq || (ok && (stream == "" || stream == k.stream)) {
			continue
		}
		// Dropped by the client, its disconnects lost.
		s.stats.Ended++
		s.stats.Abandoned += uint64(k.out.Pending())
		s.remove(c, k, false)
		s.tell(c, p.pid, p.epoch, k.id, k.stream, "")
	}
}

// probeTick sends the probes awaiting an answer again, ends those that
// waited long enough, and every auditEvery ticks probes the clients not
// confirmed since the last round.
func (s *server) probeTick(c actor.Context) {
	s.ticks++
	round := s.ticks%auditEvery == 0
	for _, key := range actors.SortedKeys(s.peers) {
		p := s.peers[key]
		if pr := p.probe; pr != nil {
			if pr.tries++; pr.tries < probeTries {
				s.sendProbe(c, p)
				continue
			}
			p.probe = nil
			if pr.why != "" {
				delete(s.peers, key)
				s.dropConns(c, p, pr.why)
			}
			continue
		}
		if round {
			if !p.confirmed {
				s.startProbe(c, p, "")
			}
			p.confirmed = false
		}
	}
}

// peerTerminated takes a Terminated about client key, reporting whether
// the server has a record of it. Its connections are removed, unless the
// record follows one of another incarnation: the Terminated may be about
// that one, so the client is asked first.
func (s *server) peerTerminated(c actor.Context, key, why string) bool {
	p := s.peers[key]
	if p == nil {
		s.forgotten.drop(key)
		return false
	}
	if p.succeeded {
		s.startProbe(c, p, why)
		return true
	}
	// Nothing is sent to it: a dead peer's address only makes
	// protoactor's endpoint writer retry.
	delete(s.peers, key)
	s.dropConns(c, p, why)
	return true
}
