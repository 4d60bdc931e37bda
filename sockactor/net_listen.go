package sockactor

// The real listener driver: a listening socket owned by one goroutine
// that serves one outstanding Accept at a time. Allowlisted in
// internal/detguard (go, channel, select, time).

import (
	"errors"
	"net"
	"sync"
	"syscall"
	"time"
)

// Accept failures for lack of resources (descriptors, buffers, memory)
// repeat at once until some are freed: the driver waits before it tries
// again, from acceptBackoffMin doubling to acceptBackoffMax, as net/http's
// server does, instead of spinning (each failure is still reported).
const (
	acceptBackoffMin = 5 * time.Millisecond
	acceptBackoffMax = time.Second
)

// exhausted reports whether err is an accept failure for lack of
// resources, which only time can cure.
func exhausted(err error) bool {
	for _, e := range []syscall.Errno{syscall.EMFILE, syscall.ENFILE, syscall.ENOBUFS, syscall.ENOMEM} {
		if errors.Is(err, e) {
			return true
		}
	}
	return false
}

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
	var backoff time.Duration // > 0: the last accept failed for lack of resources
	for {
		select {
		case <-n.accepts:
		case <-n.quit:
			return
		}
		if backoff > 0 {
			t := time.NewTimer(backoff)
			select {
			case <-t.C:
			case <-n.quit:
				t.Stop()
				return
			}
		}
		conn, err := n.l.Accept()
		if err != nil {
			select {
			case <-n.quit:
				return
			default:
			}
			if exhausted(err) {
				backoff = min(max(2*backoff, acceptBackoffMin), acceptBackoffMax)
			}
			n.sink(&EvAccepted{Err: err})
			continue
		}
		backoff = 0
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
