package sockactor

// The real listener driver: a listening socket owned by one goroutine
// that serves one outstanding Accept at a time. Allowlisted in
// internal/detguard (go, channel, select).

import (
	"net"
	"sync"
)

type netListener struct {
	l       net.Listener
	sink    Sink
	accepts chan struct{}
	quit    chan struct{}
	wg      sync.WaitGroup
	start   sync.Once
	close   sync.Once
}

func newNetListener(l net.Listener) *netListener {
	return &netListener{l: l, accepts: make(chan struct{}, 1), quit: make(chan struct{})}
}

// Start implements ListenEndpoint.
func (n *netListener) Start(sink Sink) {
	n.start.Do(func() {
		n.sink = sink
		n.wg.Add(1)
		go n.loop()
	})
}

func (n *netListener) loop() {
	defer n.wg.Done()
	for {
		select {
		case <-n.accepts:
		case <-n.quit:
			return
		}
		conn, err := n.l.Accept()
		if err != nil {
			select {
			case <-n.quit:
				return
			default:
			}
			n.sink(&EvAccepted{Err: err})
			continue
		}
		n.sink(&EvAccepted{Stream: newNetStream(conn)})
	}
}

// Accept implements ListenEndpoint.
func (n *netListener) Accept() {
	select {
	case n.accepts <- struct{}{}:
	default:
	}
}

// Close implements ListenEndpoint.
func (n *netListener) Close() {
	n.close.Do(func() {
		close(n.quit)
		n.l.Close()
		go func() {
			n.wg.Wait()
			if n.sink != nil {
				n.sink(&EvClosed{})
			}
		}()
	})
}

// Addr implements ListenEndpoint.
func (n *netListener) Addr() net.Addr { return n.l.Addr() }
