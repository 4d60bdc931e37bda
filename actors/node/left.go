package node

import (
	"sync"

	"github.com/actorio/actorio/internal/recent"
)

// left is the node's record of the peers whose connection has ended
// (protoactor's EndpointTerminatedEvent: the peer closed it, it broke,
// or the peer could not be dialled) and has not been made again: the
// node dialled it (EndpointConnectedEvent) or it dialled the node (its
// ConnectRequest, read by the guard). A Terminated for a watcher on such a peer,
// or an Unwatch of its actor, is not sent (see outbound): the peer's
// watchers heard Terminated{AddressTerminated} from their own node when
// the connection ended, and protoactor would dial the peer again for it,
// retrying a refused connection for DialTimeout, then failing with an
// error and sleeping its 2s pause (sparsecopy's server did that for
// each client that had finished, as the stream actor that a client's
// actor watched stopped; a Stop meanwhile waited 1s for the writer, as
// it no longer does: see dialled). Anything
// else for the peer (a message, a Watch) dials it again as before: it
// may have restarted on its address.
//
// The record keeps at most the last maxLeft peers (a server whose
// clients come and go sees a new address for each).
type left struct {
	mu    sync.Mutex
	peers recent.Map[string, struct{}]
}

// maxLeft is how many peers that left are remembered.
const maxLeft = 4096

// ended notes that the connection to address has ended. A peer already
// recorded keeps its place (its first end counts).
func (l *left) ended(address string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if _, ok := l.peers.Get(address); ok {
		return
	}
	l.peers.Max = maxLeft
	l.peers.Put(address, struct{}{})
}

// connected notes that a connection to address has been made.
func (l *left) connected(address string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.peers.Delete(address)
}

// has reports whether the peer at address has left.
func (l *left) has(address string) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	_, ok := l.peers.Get(address)
	return ok
}
