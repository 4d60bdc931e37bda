package qmp_test

import (
	"bufio"
	"bytes"
	"context"
	"net"
	"path/filepath"
	"testing"
	"time"

	"github.com/actorio/actorio/actors"
	"github.com/actorio/actorio/internal/benchcmp"
	"github.com/actorio/actorio/signalbus/qmp"
	"github.com/actorio/actorio/sockactor"
)

// BenchmarkQMPEventsUnix: one op is one BLOCK_IO_EVENT emitted on the bus
// and read, as a QMP line, by a client on a unix socket (default
// connection). The baseline is a plain Go server writing the same
// pre-formatted lines to a unix socket from one goroutine. events/s is
// ours.
func BenchmarkQMPEventsUnix(b *testing.B) {
	sys := actors.New()
	f := newFixture(b, sys, qmp.WithLimits(qmp.Limits{EventQueue: 1 << 20}))
	dir := b.TempDir()
	l, err := f.srv.Listen(sockactor.RealTransport(), "unix", filepath.Join(dir, "q.sock"))
	if err != nil {
		b.Fatal(err)
	}
	defer func() {
		l.Close()
		f.bus.Close()
		_ = sys.Close(context.Background())
	}()
	c, err := net.Dial("unix", filepath.Join(dir, "q.sock"))
	if err != nil {
		b.Fatal(err)
	}
	defer c.Close()
	r := bufio.NewReaderSize(c, 1<<16)
	_, _ = r.ReadBytes('\n')
	_, _ = c.Write([]byte(`{"execute": "qmp_capabilities"}` + "\n"))
	_, _ = r.ReadBytes('\n')
	ev := blockIOEvent{Device: "virtio0", Action: "report", Operation: "write"}
	readN := func(r *bufio.Reader, n int) {
		for i := 0; i < n; i++ {
			if _, err := r.ReadSlice('\n'); err != nil {
				b.Fatal(err)
			}
		}
	}
	var elapsed time.Duration
	var events int
	ours := func(n int) {
		start := time.Now()
		go func() {
			for i := 0; i < n; i++ {
				_ = f.io.Emit(ev)
			}
		}()
		readN(r, n)
		elapsed += time.Since(start)
		events += n
	}
	// The baseline: a goroutine writing the same lines, buffered.
	bl, err := net.Listen("unix", filepath.Join(dir, "base.sock"))
	if err != nil {
		b.Fatal(err)
	}
	defer bl.Close()
	line := []byte(`{"timestamp": {"seconds": 1795268957, "microseconds": 620843}, "event": "BLOCK_IO_EVENT", "data": {"device": "virtio0", "action": "report", "operation": "write"}}` + "\r\n")
	reqs := make(chan int)
	go func() {
		s, err := bl.Accept()
		if err != nil {
			return
		}
		defer s.Close()
		w := bufio.NewWriterSize(s, 1<<16)
		for n := range reqs {
			for i := 0; i < n; i++ {
				_, _ = w.Write(line)
				if w.Buffered() > 32<<10 {
					_ = w.Flush()
				}
			}
			_ = w.Flush()
		}
	}()
	defer close(reqs)
	bc, err := net.Dial("unix", filepath.Join(dir, "base.sock"))
	if err != nil {
		b.Fatal(err)
	}
	defer bc.Close()
	br := bufio.NewReaderSize(bc, 1<<16)
	base := func(n int) {
		reqs <- n
		readN(br, n)
	}
	b.ResetTimer()
	benchcmp.Compare(b, ours, base)
	if elapsed > 0 {
		b.ReportMetric(float64(events)/elapsed.Seconds(), "events/s")
	}
	_ = bytes.MinRead
}
