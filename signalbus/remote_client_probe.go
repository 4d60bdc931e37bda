package signalbus

import (
	"github.com/actorio/actorio/actors"
	"github.com/actorio/actorio/internal/wire"
	"github.com/asynkron/protoactor-go/actor"
)

// probed answers a server's probe (remote_probe.go): an audit with the
// client's epoch, the connections it holds with that server (open ones
// with their streams, those still connecting with none; not those it is
// closing, which the server may then drop) and the probe's token. Any
// other audit sent to the client is a confused peer's, counted and
// ignored.
func (x *client) probed(c actor.Context, m *wire.SignalAudit) {
	if m.GetServerEpoch() != 0 {
		x.checked(c, m) // the answer to a check (remote_client_server.go)
		return
	}
	token, from := auditToken(m), c.Sender()
	if token == "" || from == nil {
		x.stats.Foreign++
		return
	}
	server := actor.NewPID(from.GetAddress(), from.GetId())
	key := pidKey(server)
	a := &wire.SignalAudit{Epoch: x.epoch}
	for _, h := range actors.SortedKeys(x.conns) {
		k := x.conns[h]
		if k.phase == closing || pidKey(k.server) != key {
			continue
		}
		stream := ""
		if k.phase == open {
			stream = k.stream
		}
		a.Conns, a.Streams = append(a.Conns, string(h)), append(a.Streams, stream)
	}
	a.Conns, a.Streams = append(a.Conns, ""), append(a.Streams, token)
	x.send(c, server, a)
}
