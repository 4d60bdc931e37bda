package node

// The connections the node dialled to its peers: Stop waits for them to
// close. This runs on gRPC's goroutines and on Stop's caller, never
// inside an actor.

import (
	"net"
	"sync"
)

// dialled is the node's record of the connections it dialled to peers
// (see Node.dial; each is gRPC's connection under one of protoactor's
// endpoint writers) that are still open. Stop waits for these to close,
// rather than for protoactor's endpoint supervisor to stop: that waits
// for every endpoint writer, and one whose dial Stop ended holds no
// connection yet sleeps through protoactor's 2s pause after the failed
// dial before it can stop (Stop waited 1s for it and warned).
type dialled struct {
	mu   sync.Mutex
	open map[*dialledConn]struct{}
	// stopped is set when the node stops: no connection is recorded
	// from then on (Node.dial makes none).
	stopped bool
	// none is closed once stopped is set and open is empty.
	none chan struct{}
}

// dialledConn is a connection the node dialled; closing it takes it out
// of the record.
type dialledConn struct {
	net.Conn
	d    *dialled
	once sync.Once
}

// Close implements net.Conn.
func (c *dialledConn) Close() error {
	err := c.Conn.Close()
	c.once.Do(func() { c.d.remove(c) })
	return err
}

// add records c and returns it wrapped; it reports false (recording
// nothing) once the node has stopped.
func (d *dialled) add(c net.Conn) (net.Conn, bool) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.stopped {
		return nil, false
	}
	if d.open == nil {
		d.open = make(map[*dialledConn]struct{})
	}
	dc := &dialledConn{Conn: c, d: d}
	d.open[dc] = struct{}{}
	return dc, true
}

func (d *dialled) remove(c *dialledConn) {
	d.mu.Lock()
	defer d.mu.Unlock()
	delete(d.open, c)
	if d.stopped && len(d.open) == 0 && d.none != nil {
		close(d.none)
		d.none = nil
	}
}

// stop records no more connections and returns a channel that is
// closed once none of those recorded is open.
func (d *dialled) stop() <-chan struct{} {
	d.mu.Lock()
	defer d.mu.Unlock()
	none := make(chan struct{})
	d.stopped = true
	if len(d.open) == 0 {
		close(none)
	} else {
		d.none = none
	}
	return none
}

// closeAll closes the connections still open and returns how many there
// were.
func (d *dialled) closeAll() int {
	d.mu.Lock()
	cs := make([]*dialledConn, 0, len(d.open))
	for c := range d.open { //detguard:unordered each connection is closed on its own
		cs = append(cs, c)
	}
	d.mu.Unlock()
	for _, c := range cs {
		_ = c.Close()
	}
	return len(cs)
}
