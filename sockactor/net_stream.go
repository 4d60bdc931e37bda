package sockactor

// The real stream driver: a connected socket owned by two goroutines, a
// reader and a writer, that serve one outstanding Read and one Write at
// a time and report through the Sink. Allowlisted in internal/detguard
// (go, channel, select).

import (
	"context"
	"net"
	"sync"
	"time"
)

type netStream struct {
	sink   Sink
	conn   net.Conn
	reads  chan int
	writes chan [][]byte
	wvec   net.Buffers // the writer's current vector (a field: WriteTo needs its address)
	quit   chan struct{}
	cancel context.CancelFunc
	wg     sync.WaitGroup
	start  sync.Once
	close  sync.Once

	mu            sync.Mutex
	local, remote net.Addr
	writing       bool // a Write is outstanding (from Write to its EvWritten)
}

func newNetStream(conn net.Conn) *netStream {
	s := &netStream{conn: conn, reads: make(chan int, 1), writes: make(chan [][]byte, 1), quit: make(chan struct{})}
	if conn != nil {
		s.local, s.remote = conn.LocalAddr(), conn.RemoteAddr()
	}
	return s
}

func (s *netStream) dial(ctx context.Context, d *net.Dialer, network, addr string) {
	defer s.wg.Done()
	conn, err := d.DialContext(ctx, network, addr)
	if err != nil {
		s.sink(&EvConnected{Err: err})
		return
	}
	select {
	case <-s.quit:
		conn.Close()
		return
	default:
	}
	s.mu.Lock()
	s.conn, s.local, s.remote = conn, conn.LocalAddr(), conn.RemoteAddr()
	s.mu.Unlock()
	s.run()
	s.sink(&EvConnected{Local: conn.LocalAddr(), Remote: conn.RemoteAddr()})
	// Close may have come between the check above and run: it closed
	// nothing, so look again.
	select {
	case <-s.quit:
		conn.Close()
	default:
	}
}

// Start implements Stream for accepted connections.
func (s *netStream) Start(sink Sink) {
	s.start.Do(func() {
		s.sink = sink
		s.run()
	})
}

func (s *netStream) run() {
	s.wg.Add(2)
	go s.reader(s.conn)
	go s.writer(s.conn)
}

func (s *netStream) reader(conn net.Conn) {
	defer s.wg.Done()
	read, free := streamReader(conn)
	for {
		var max int
		select {
		case max = <-s.reads:
		case <-s.quit:
			return
		}
		// Wait for data without holding a buffer (see readStream).
		data, err := read(max)
		s.sink(&EvData{Data: data, Err: err, Free: free})
		if err != nil {
			return
		}
	}
}

func (s *netStream) writer(conn net.Conn) {
	defer s.wg.Done()
	// One write is outstanding at a time, and the machine has read the
	// last EvWritten before it asks for the next write (which reaches
	// this goroutine through s.writes): the event is reused.
	ev := new(EvWritten)
	for {
		select {
		case s.wvec = <-s.writes:
		case <-s.quit:
			return
		}
		n, err := s.wvec.WriteTo(conn)
		// WriteTo consumed only what it wrote: a short write left the
		// rest of the caller's buffers here, and the endpoint must not
		// keep them after the event (it did, found in review).
		s.wvec = nil
		s.mu.Lock()
		s.writing = false // from now on AbortWrite has nothing to abort
		s.mu.Unlock()
		*ev = EvWritten{N: int(n), Err: err}
		s.sink(ev)
	}
}

// Read implements Stream.
func (s *netStream) Read(max int) {
	select {
	case s.reads <- max:
	default: // a read is already outstanding: the machine never asks twice
	}
}

// Write implements Stream.
func (s *netStream) Write(bufs [][]byte) {
	s.mu.Lock()
	defer s.mu.Unlock()
	select {
	case s.writes <- bufs:
		s.writing = true
	default:
	}
}

// AbortWrite implements Stream: a write deadline in the past makes the
// writer's Write return (with what it wrote) at its next wait for the
// socket, and the stream is poisoned, so nothing is written after it.
// Without an outstanding Write (one that just finished: its EvWritten is
// on the way) it does nothing, so the stream stays usable; it used to
// poison the stream regardless (found in review).
func (s *netStream) AbortWrite() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.writing && s.conn != nil {
		_ = s.conn.SetWriteDeadline(time.Unix(1, 0))
	}
}

// Close implements Stream: it stops the goroutines, closes the socket
// (or abandons the connect) and reports EvClosed once they are gone.
func (s *netStream) Close() {
	s.close.Do(func() {
		close(s.quit)
		if s.cancel != nil {
			s.cancel()
		}
		s.mu.Lock()
		if s.conn != nil {
			s.conn.Close()
		}
		s.mu.Unlock()
		go func() {
			s.wg.Wait()
			if s.sink != nil {
				s.endQueued()
				s.sink(&EvClosed{})
			}
		}()
	})
}

// endQueued answers, with an error, a Read or Write still queued once the
// reader and writer are gone: one that chose quit over it (a select picks
// at random among ready cases), or one asked for while connecting. Every
// outstanding operation ends with one event before EvClosed; such
// requests used to get none (found in review).
func (s *netStream) endQueued() {
	select {
	case <-s.reads:
		s.sink(&EvData{Err: &net.OpError{Op: "read", Err: net.ErrClosed}})
	default:
	}
	select {
	case <-s.writes:
		s.sink(&EvWritten{Err: &net.OpError{Op: "write", Err: net.ErrClosed}})
	default:
	}
}

// LocalAddr implements Stream.
func (s *netStream) LocalAddr() net.Addr {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.local
}

// RemoteAddr implements Stream.
func (s *netStream) RemoteAddr() net.Addr {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.remote
}
