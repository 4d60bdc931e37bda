package signalbus

import "github.com/actorio/actorio/internal/recent"

// forgottenPeers remembers, for each subscriber's client the server has
// no record of any more, the incarnation (epoch) of its last record: from
// when that record goes (its last connection removed, or a newer
// incarnation took its place) until the client's next record is made or
// a Terminated about the client arrives.
//
// A Terminated names the client's PID, which every incarnation of a
// client shares, not the incarnation; and it can arrive late: the watch
// of the old incarnation may have been taken by the transport (its node
// crashed) before the server unwatched it, and the server watches the
// same PID again for the next incarnation. A record that follows one of
// another incarnation may therefore hear a Terminated about that one:
// such a record is marked (peerProbe.succeeded) and a Terminated about it
// is checked with a probe (remote_probe.go) instead of ending it.
//
// A client keeps one too, of the servers it had connections with and of
// their incarnations (SignalConnected's server epoch), for the same
// reason in the other direction (remote_client_server.go).
//
// At most maxForgotten clients are remembered (the oldest go first): an
// entry is only needed for as long as the transport takes to report a
// death, so only a churn of that many other clients in that time loses
// one.
type forgottenPeers struct {
	epochs recent.Map[string, uint64] // client → the incarnation of its last record
}

// maxForgotten bounds forgottenPeers.
const maxForgotten = 4096

// note remembers that the server's record of client key, incarnation
// epoch, is gone.
func (f *forgottenPeers) note(key string, epoch uint64) {
	f.epochs.Max = maxForgotten
	f.epochs.Put(key, epoch)
}

// follows reports whether a new record of client key, incarnation epoch,
// follows a record of another incarnation (so a Terminated may still
// come about that one), and forgets the old one.
func (f *forgottenPeers) follows(key string, epoch uint64) bool {
	old, ok := f.epochs.Take(key)
	return ok && old != epoch
}

// take returns the incarnation remembered for key (ok false: none) and
// forgets it.
func (f *forgottenPeers) take(key string) (epoch uint64, ok bool) { return f.epochs.Take(key) }

// drop forgets client key: a Terminated about it arrived while the
// server had no record of it (the one a late Terminated was about).
func (f *forgottenPeers) drop(key string) { f.epochs.Delete(key) }
