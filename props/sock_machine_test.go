package props

import (
	"bytes"
	"errors"
	"io"
	"os"
	"syscall"
	"testing"
	"time"

	"github.com/actorio/actorio/sockactor"
	"pgregory.net/rapid"
)

// streamSM drives a StreamMachine directly, with rapid choosing requests,
// segmentation, write outcomes, cancels, timeouts and stops, and checks
// it against SockModel after every step.
type streamSM struct {
	m     *sockactor.StreamMachine
	model SockModel

	delivered int  // bytes of model.Wire handed to the machine
	eofSent   bool // the peer's EOF was handed over
	readMax   int  // the outstanding transport read's size, 0 if none
	wbufs     [][]byte
	writing   bool
	aborting  bool   // the machine asked to abort the outstanding write
	wire      []byte // what the machine wrote

	kinds     map[sockactor.ReqID]sockactor.OpKind
	frames    map[sockactor.ReqID]*sockactor.Frame
	wdata     map[sockactor.ReqID][]byte
	wbufsOf   map[sockactor.ReqID][][]byte // each write's buffers, as given
	done      map[sockactor.ReqID]int
	errs      map[sockactor.ReqID]error
	readOrder []sockactor.ReqID        // reads accepted into the lane, in order
	completed [][]byte                 // successful writes, in completion order
	writeIDs  []sockactor.ReqID        // successful writes' ids, in completion order
	handed    map[sockactor.ReqID]bool // writes the transport was given while they were pending and the stream sound
	timers    map[sockactor.ReqID]bool
	stopped   bool
	flushes   int // EffFlush requests not yet answered
	sticky    syscall.Errno
	failedTo  [2]sockactor.ReqID       // the last read and write completed once the stream had its sticky error
	refusing  sockactor.ReqID          // the request being submitted (a completion now is a refusal, not a queued request)
	nexts     map[sockactor.ReqID]*int // how often each read's next function was called
	stickyAt  sockactor.ReqID          // requests after this one see the sticky error
	byData    bool                     // the action began on a sound stream and only the peer's bytes can fail a read in it
	mayAbort  bool                     // ... or a withdrawal (ECONNABORTED) too
	lastID    sockactor.ReqID
	cov       sockCov // what the run reached (TestSockMachinesReach)
}

func newStreamSM(t *rapid.T, cov sockCov) *streamSM {
	s := &streamSM{
		cov: cov,
		m: sockactor.NewStreamMachine(sockactor.StreamConfig{
			MaxPDU:     1 << 10,
			ReadAhead:  rapid.IntRange(1, 64).Draw(t, "readahead"),
			ReadChunk:  rapid.IntRange(1, 32).Draw(t, "chunk"),
			WriteBatch: rapid.IntRange(1, 64).Draw(t, "batch"),
		}, true),
		model:   SockModel{MaxBody: 40},
		kinds:   map[sockactor.ReqID]sockactor.OpKind{},
		frames:  map[sockactor.ReqID]*sockactor.Frame{},
		wdata:   map[sockactor.ReqID][]byte{},
		wbufsOf: map[sockactor.ReqID][][]byte{},
		done:    map[sockactor.ReqID]int{},
		errs:    map[sockactor.ReqID]error{},
		timers:  map[sockactor.ReqID]bool{},
		handed:  map[sockactor.ReqID]bool{},
		nexts:   map[sockactor.ReqID]*int{},
	}
	// Body sizes: small ones mostly, but also the reader's maximum and
	// one past it (EMSGSIZE), which a plain slice draw almost never
	// reaches.
	size := rapid.OneOf(rapid.IntRange(0, 9), rapid.IntRange(0, 9), rapid.IntRange(0, 48), rapid.IntRange(s.model.MaxBody-1, s.model.MaxBody+1))
	for i, n := 0, rapid.IntRange(0, 12).Draw(t, "pdus"); i < n; i++ {
		body := rapid.SliceOfN(rapid.Byte(), 0, 48).Draw(t, "body")
		body = append(body, make([]byte, 48)...)[:size.Draw(t, "size")]
		s.model.AppendPDU(body)
	}
	// Now and then the peer closes inside a PDU (inv 15): its header or
	// its body cut short. Whole PDUs only never took a read to an EOF
	// with part of its PDU consumed.
	if len(s.model.Wire) > 0 && oneIn(t, "truncated", 3) {
		s.model.Wire = s.model.Wire[:rapid.IntRange(0, len(s.model.Wire)-1).Draw(t, "cut")]
	}
	s.effects(t)
	return s
}

// effects drains the machine's effects and checks each completion.
func (s *streamSM) effects(t *rapid.T) {
	for _, e := range s.m.Effects() {
		switch e := e.(type) {
		case *sockactor.EffRead:
			if s.readMax != 0 {
				t.Fatalf("a second transport read while one is outstanding")
			}
			s.readMax = e.Max
		case *sockactor.EffWrite:
			if s.writing {
				t.Fatalf("a second transport write while one is outstanding")
			}
			s.writing, s.wbufs = true, e.Bufs
			if s.m.Err() == nil && !s.stopped {
				for id := range s.wbufsOf { //detguard:unordered marks each write on its own
					if s.done[id] == 0 && s.transportHolds(id) {
						s.handed[id] = true
					}
				}
			}
		case *sockactor.EffAbortWrite:
			if !s.writing || s.aborting {
				t.Fatalf("an abort with no transport write outstanding, or a second one")
			}
			s.aborting = true
		case *sockactor.EffFlush:
			s.flushes++
		case *sockactor.EffStartTimer:
			s.timers[e.ID] = true
		case *sockactor.EffStopTimer:
			delete(s.timers, e.ID)
		case *sockactor.Completion:
			s.completion(t, e)
		}
	}
}

func (s *streamSM) completion(t *rapid.T, c *sockactor.Completion) {
	s.done[c.ID]++
	s.errs[c.ID] = c.Err
	if s.done[c.ID] > 1 {
		t.Fatalf("inv 18: request %d completed %d times", c.ID, s.done[c.ID])
	}
	if s.timers[c.ID] {
		t.Fatalf("inv 22: request %d completed with its timer still armed", c.ID)
	}
	kind := s.kinds[c.ID]
	s.cov.outcome(kind, c.Err)
	if s.sticky != 0 && c.ID > s.stickyAt {
		// inv 16: every later request fails with the sticky error (after
		// a Stop, with ECONNABORTED; an empty write is EINVAL first).
		errno := sockactor.Errno(c.Err)
		empty := (kind == sockactor.OpWritev || kind == sockactor.OpWritevQueue) && len(s.wdata[c.ID]) == 0
		if c.Err == nil || !(errno == s.sticky || (s.stopped && errno == syscall.ECONNABORTED) || (empty && errno == syscall.EINVAL)) {
			t.Fatalf("inv 16: request %d (%v) completed with %v after the sticky error %v", c.ID, kind, c.Err, s.sticky)
		}
	}
	if s.m.Err() != nil && c.ID != s.refusing {
		// inv 17: once the stream has its sticky error, each lane
		// completes what it held in submission order.
		lane := 1
		if kind == sockactor.OpReadv || kind == sockactor.OpReadvQueue {
			lane = 0
		}
		if c.ID < s.failedTo[lane] {
			t.Fatalf("inv 17: request %d (%v) completed after request %d once the stream was poisoned", c.ID, kind, s.failedTo[lane])
		}
		s.failedTo[lane] = c.ID
	}
	if s.sticky == 0 && s.m.Err() != nil {
		s.sticky, s.stickyAt = sockactor.Errno(s.m.Err()), s.lastID
		s.cov.hit("sticky " + s.sticky.Error())
	}
	switch kind {
	case sockactor.OpReadv, sockactor.OpReadvQueue:
		s.readDone(t, c)
	case sockactor.OpWritev, sockactor.OpWritevQueue:
		if s.writing && !s.stopped && s.transportHolds(c.ID) {
			t.Fatalf("inv 22: writev %d completed (%v) while the transport still writes from its buffers", c.ID, c.Err)
		}
		if c.Err == nil {
			if c.N != len(s.wdata[c.ID]) {
				t.Fatalf("inv 10: writev %d reported %d of %d bytes", c.ID, c.N, len(s.wdata[c.ID]))
			}
			if len(s.writeIDs) > 0 && s.writeIDs[len(s.writeIDs)-1] > c.ID {
				t.Fatalf("inv 12: writev %d completed after writev %d", c.ID, s.writeIDs[len(s.writeIDs)-1])
			}
			s.completed = append(s.completed, s.wdata[c.ID])
			s.writeIDs = append(s.writeIDs, c.ID)
		}
	}
}

func (s *streamSM) readDone(t *rapid.T, c *sockactor.Completion) {
	errno := sockactor.Errno(c.Err)
	if errno == syscall.EBUSY || errno == syscall.ECANCELED || errno == syscall.ETIMEDOUT {
		return
	}
	// Reads that got into the lane finish in order (inv 12, 13).
	for len(s.readOrder) > 0 && s.done[s.readOrder[0]] > 0 && s.readOrder[0] != c.ID {
		s.readOrder = s.readOrder[1:]
	}
	if len(s.readOrder) > 0 && s.readOrder[0] == c.ID {
		s.readOrder = s.readOrder[1:]
	}
	for _, id := range s.readOrder {
		if id < c.ID && s.done[id] == 0 && s.sticky == 0 {
			t.Fatalf("inv 12: read %d finished before read %d", c.ID, id)
		}
	}
	if c.Err != nil {
		// A read failed by the data (inv 15: EOF inside a PDU is EPIPE;
		// a length over the maximum is EMSGSIZE) must agree with the
		// model: never while a whole PDU is there to be read.
		if errno == syscall.EPIPE || errno == syscall.EMSGSIZE {
			peek := s.model
			out := peek.Next(s.delivered, s.eofSent)
			if out.OK || (errno == syscall.EPIPE && !out.Short) || (errno == syscall.EMSGSIZE && !out.TooLarge) {
				t.Fatalf("inv 15/16: read %d failed with %v, model says %+v", c.ID, c.Err, out)
			}
		}
		if errno == syscall.EPIPE && s.byData && len(s.model.Wire) > s.model.Consumed() {
			s.cov.hit("read EPIPE inside a PDU") // the peer's last PDU was begun
		}
		if s.byData {
			// inv 15: in an action that began on a sound stream and gave
			// the machine only the peer's bytes (or a new read), a read
			// fails only as the model says: EPIPE when the peer closed
			// before the next PDU was whole, EMSGSIZE when its length is
			// over the maximum; a withdrawal may poison it (ECONNABORTED).
			peek := s.model
			out := peek.Next(s.delivered, s.eofSent)
			want := syscall.Errno(0)
			switch {
			case out.Short:
				want = syscall.EPIPE
			case out.TooLarge:
				want = syscall.EMSGSIZE
			}
			if errno != want && !(s.mayAbort && errno == syscall.ECONNABORTED) {
				wantText := "nothing (it must wait or succeed)"
				if want != 0 {
					wantText = want.Error()
				}
				t.Fatalf("inv 15: read %d failed with %v, but the peer's data fail it only with %s (model: %+v, peer closed: %v)", c.ID, c.Err, wantText, out, s.eofSent)
			}
		}
		if s.stopped || s.sticky != 0 {
			return
		}
		t.Fatalf("read %d failed without a sticky error: %v", c.ID, c.Err)
	}
	out := s.model.Next(s.delivered, s.eofSent)
	f := s.frames[c.ID]
	if !out.OK || !bytes.Equal(f.PDU(), out.PDU) || c.N != len(out.PDU) {
		t.Fatalf("inv 1/2/4: read %d gave %q (N=%d), model says %+v", c.ID, f.PDU(), c.N, out)
	}
	if len(out.PDU) == 2 {
		s.cov.hit("read of a zero-length body")
	}
	// inv 3: a PDU of k arrays (the header, and the body unless it is
	// empty) asked next exactly k+1 times.
	if want := map[bool]int{true: 2, false: 3}[len(out.PDU) == 2]; *s.nexts[c.ID] != want {
		t.Fatalf("inv 3: read %d of a %d-byte PDU called next %d times, want %d", c.ID, len(out.PDU), *s.nexts[c.ID], want)
	}
}

func (s *streamSM) Check(t *rapid.T) {
	if got, want := s.delivered-s.m.Buffered(), 0; s.sticky == 0 && got < want {
		t.Fatalf("negative consumption")
	}
	// inv 17: after a fatal error nothing stays pending but the writes
	// the transport still holds (they complete when it lets go).
	if reads, writes := s.m.Pending(); s.m.Err() != nil && (reads > 0 || writes > 0 && !s.writing) {
		t.Fatalf("inv 17: the stream is poisoned (%v) but %d reads and %d writes are pending", s.m.Err(), reads, writes)
	}
	if err := CheckWire(s.wire, s.completed, s.started()); err != nil {
		t.Fatal(err)
	}
	// inv 13, 15: on a sound stream no read waits for what already came:
	// the head read finishes once its whole PDU is buffered, and fails
	// once the peer's EOF (EPIPE) or an oversize length (EMSGSIZE) is
	// there.
	if reads, _ := s.m.Pending(); reads > 0 && s.m.Err() == nil && !s.stopped && s.m.State() == sockactor.StateConnected {
		peek := s.model
		if out := peek.Next(s.delivered, s.eofSent); out.OK || out.Short || out.TooLarge {
			t.Fatalf("inv 13/15: %d reads wait, but the model says the head one can end now: %+v (peer closed: %v)", reads, out, s.eofSent)
		}
	}
}

// dataOnly marks the current action as one in which only the peer's data
// can fail a read (see readDone), when the stream is sound at its start;
// mayAbort adds a withdrawal's ECONNABORTED. It returns the unmarking.
func (s *streamSM) dataOnly(mayAbort bool) func() {
	s.byData = s.m.Err() == nil && !s.stopped && s.m.State() == sockactor.StateConnected
	s.mayAbort = mayAbort
	return func() { s.byData, s.mayAbort = false, false }
}

// started returns the failed writes that may have put bytes on the wire:
// those the transport was given before they completed and before the
// stream had a sticky error, in submission order.
func (s *streamSM) started() [][]byte {
	var out [][]byte
	for id := sockactor.ReqID(1); id <= s.lastID; id++ {
		if s.handed[id] && s.done[id] == 1 && s.errs[id] != nil {
			out = append(out, s.wdata[id])
		}
	}
	return out
}

// withdraw cancels or expires request id. A read's next function is not
// called for it (inv 3). A write withdrawn before the transport was given
// it (inv 19) completes at once with the errno, and leaves the stream as
// it was: no sticky error, so its successors go on.
func (s *streamSM) withdraw(t *rapid.T, id sockactor.ReqID, errno syscall.Errno, do func(sockactor.ReqID)) {
	kind := s.kinds[id]
	sound := s.m.Err() == nil
	early := (kind == sockactor.OpWritev || kind == sockactor.OpWritevQueue) && s.done[id] == 0 && !s.handed[id] && sound && !s.stopped
	calls := -1
	if n := s.nexts[id]; n != nil {
		calls = *n
	}
	partial := (kind == sockactor.OpReadv || kind == sockactor.OpReadvQueue) && s.done[id] == 0
	defer s.dataOnly(true)()
	do(id)
	s.effects(t)
	if partial && sound && s.m.Err() != nil {
		s.cov.hit("withdraw a read after part of its PDU")
	}
	if early {
		s.cov.hit("withdraw a write before its turn")
	}
	if calls >= 0 && *s.nexts[id] != calls {
		t.Fatalf("inv 3: withdrawing read %d called its next function", id)
	}
	if !early {
		return
	}
	if s.done[id] != 1 || sockactor.Errno(s.errs[id]) != errno {
		t.Fatalf("inv 19: write %d withdrawn before its turn completed %d times with %v, want %v", id, s.done[id], s.errs[id], errno)
	}
	if s.m.Err() != nil {
		t.Fatalf("inv 19: write %d withdrawn before its turn poisoned the stream: %v", id, s.m.Err())
	}
}

func (s *streamSM) read(t *rapid.T) {
	queue := rapid.Bool().Draw(t, "queue")
	f := sockactor.LengthPrefixed(2, s.model.MaxBody)
	var timeout time.Duration
	if rapid.IntRange(0, 4).Draw(t, "timed") == 0 {
		timeout = time.Second
	}
	pending, _ := s.m.Pending()
	usable := s.m.State() == sockactor.StateConnected && s.m.Err() == nil
	before := s.completions()
	defer s.dataOnly(false)()
	calls, rid := new(int), new(sockactor.ReqID)
	next := func() ([][]byte, error) {
		if *rid != 0 && s.done[*rid] > 0 {
			t.Fatalf("inv 3: read %d called next after it completed (%v)", *rid, s.errs[*rid])
		}
		*calls++
		return f.Next()
	}
	id := s.m.Readv(next, queue, timeout)
	*rid, s.nexts[id] = id, calls
	s.lastID = id
	s.kinds[id], s.frames[id] = map[bool]sockactor.OpKind{false: sockactor.OpReadv, true: sockactor.OpReadvQueue}[queue], f
	if usable && (queue || pending == 0) {
		s.readOrder = append(s.readOrder, id)
	}
	s.refusing = id
	s.effects(t)
	s.refusing = 0
	if !queue && pending > 0 && usable {
		// inv 8: EBUSY at once, and the reads already pending are
		// untouched (nothing else completed, as many still pending).
		s.cov.hit("second direct read while one is pending")
		if s.done[id] != 1 || sockactor.Errno(s.errOf(id)) != syscall.EBUSY {
			t.Fatalf("inv 8: a second direct read with %d pending completed %d times with %v, want EBUSY", pending, s.done[id], s.errOf(id))
		}
		if got, _ := s.m.Pending(); got != pending || s.completions() != before+1 {
			t.Fatalf("inv 8: the EBUSY read disturbed the pending ones: %d pending (was %d), %d completions (was %d)", got, pending, s.completions(), before)
		}
	}
}

// completions returns how many completions the machine has delivered.
func (s *streamSM) completions() int {
	n := 0
	for _, k := range s.done { //detguard:unordered only sums
		n += k
	}
	return n
}

func (s *streamSM) write(t *rapid.T) {
	queue := rapid.Bool().Draw(t, "queue")
	// An empty vector (inv 5) now and then: drawn from 0..4 it was a
	// third of all writes, with the empty entries of small draws.
	n := rapid.IntRange(1, 4).Draw(t, "entries")
	if oneIn(t, "empty", 12) {
		n = 0
	}
	bufs := make([][]byte, n)
	var all []byte
	for i := range bufs {
		bufs[i] = rapid.SliceOfN(rapid.Byte(), 0, 9).Draw(t, "buf")
		all = append(all, bufs[i]...)
	}
	var timeout time.Duration
	if rapid.IntRange(0, 4).Draw(t, "timed") == 0 {
		timeout = time.Second
	}
	id := s.m.Writev(bufs, queue, timeout)
	s.lastID = id
	s.kinds[id], s.wdata[id] = map[bool]sockactor.OpKind{false: sockactor.OpWritev, true: sockactor.OpWritevQueue}[queue], all
	s.wbufsOf[id] = bufs
	s.refusing = id
	s.effects(t)
	s.refusing = 0
	if len(all) == 0 && s.done[id] == 1 && !errors.Is(s.errOf(id), syscall.EINVAL) && s.m.State() == sockactor.StateConnected && s.m.Err() == nil {
		t.Fatalf("inv 5: an empty write completed with %v, want EINVAL", s.errOf(id))
	}
}

func (s *streamSM) errOf(id sockactor.ReqID) error { return s.errs[id] }

// transportHolds reports whether the outstanding transport write carries
// one of write id's buffers.
func (s *streamSM) transportHolds(id sockactor.ReqID) bool {
	for _, b := range s.wbufsOf[id] {
		for _, w := range s.wbufs {
			if len(b) > 0 && len(w) > 0 && &b[0] == &w[0] {
				return true
			}
		}
	}
	return false
}

// deliver hands the machine a few transport reads of what the peer sent,
// each as much as it asks for or, half the time, a random part of it
// (one byte at a time a PDU took so many steps that a run read 0.2 PDUs
// on average); then the EOF, once everything was handed over.
func (s *streamSM) deliver(t *rapid.T) {
	if s.readMax == 0 {
		t.Skip("no transport read outstanding")
	}
	if s.delivered == len(s.model.Wire) && s.eofSent {
		t.Skip("nothing left")
	}
	defer s.dataOnly(false)()
	for rounds := rapid.IntRange(1, 8).Draw(t, "rounds"); rounds > 0 && s.readMax != 0; rounds-- {
		rest := len(s.model.Wire) - s.delivered
		if rest == 0 {
			if s.eofSent {
				return
			}
			s.eofSent = true
			s.cov.hit("peer's EOF")
			s.readMax = 0
			s.m.OnData(nil, io.EOF)
			s.effects(t)
			return
		}
		k := min(rest, s.readMax)
		if rapid.Bool().Draw(t, "split") {
			k = rapid.IntRange(1, k).Draw(t, "segment")
		}
		p := append([]byte(nil), s.model.Wire[s.delivered:s.delivered+k]...)
		s.delivered += k
		s.readMax = 0
		s.m.OnData(p, nil)
		s.effects(t)
	}
}

func (s *streamSM) written(t *rapid.T) {
	if !s.writing && s.flushes > 0 {
		// The transport answers the flush first: with flush a separate
		// action, six writes of 100 runs completed.
		s.flushes--
		s.m.Flush()
		s.effects(t)
	}
	if !s.writing {
		t.Skip("no transport write outstanding")
	}
	total := 0
	for _, b := range s.wbufs {
		total += len(b)
	}
	n, err := total, error(nil)
	switch {
	case s.aborting && rapid.Bool().Draw(t, "aborted"):
		n, err = rapid.IntRange(0, total).Draw(t, "short"), os.ErrDeadlineExceeded
		s.cov.hit("transport write aborted")
	case rapid.IntRange(0, 9).Draw(t, "fail") == 0:
		n, err = rapid.IntRange(0, total).Draw(t, "short"), syscall.ECONNRESET
		s.cov.hit("transport write failed")
	}
	s.aborting = false
	s.wire = append(s.wire, bytes.Join(s.wbufs, nil)[:n]...)
	s.writing, s.wbufs = false, nil
	s.m.OnWritten(n, err)
	s.effects(t)
}

// pick draws a request to cancel or expire: mostly a pending one (a
// uniform draw mostly hits finished ones, which the machine ignores, and
// rarely a queued write before its turn, inv 19), sometimes any.
func (s *streamSM) pick(t *rapid.T) sockactor.ReqID {
	if s.lastID == 0 {
		t.Skip("no request yet")
	}
	var pending []sockactor.ReqID
	for id := sockactor.ReqID(1); id <= s.lastID; id++ {
		if s.done[id] == 0 {
			pending = append(pending, id)
		}
	}
	if len(pending) > 0 && rapid.IntRange(0, 3).Draw(t, "pickPending") != 0 {
		return rapid.SampledFrom(pending).Draw(t, "id")
	}
	return sockactor.ReqID(rapid.IntRange(1, int(s.lastID)).Draw(t, "id"))
}

// TestStreamMachineRapid is the rapid state machine over StreamMachine:
// framing independence under any segmentation (1, 2, 6), no over-read (2,
// 3), results equal to the PDU (4), the empty vector and bad vectors (5),
// zero-length bodies (7), EBUSY (8, 9), whole writes (10), queue byte and
// completion order (11, 12, 13), EOF mid-PDU (15), sticky errors (16, 17),
// exactly-once completion (18), cancels and timeouts (19–22), stop (25).
func TestStreamMachineRapid(t *testing.T) { rapid.Check(t, checkStreamMachine(nil)) }

// checkStreamMachine is one run of the stream machine, recording what it
// reached in cov (when not nil).
func checkStreamMachine(cov sockCov) func(*rapid.T) {
	return func(t *rapid.T) {
		cov.hit("runs")
		s := newStreamSM(t, cov)
		actions := cov.actions(map[string]func(*rapid.T){
			"read":    s.read,
			"write":   s.write,
			"deliver": s.deliver,
			"written": s.written,
			"flush": func(t *rapid.T) {
				if s.flushes == 0 {
					t.Skip("no flush asked for")
				}
				s.flushes--
				s.m.Flush()
				s.effects(t)
			},
			"cancel": func(t *rapid.T) {
				// Half as often as the others: it never skips, and
				// withdrew most writes before they could complete.
				if !rapid.Bool().Draw(t, "cancelNow") {
					t.Skip("less often")
				}
				s.withdraw(t, s.pick(t), syscall.ECANCELED, s.m.Cancel)
			},
			"expire": func(t *rapid.T) {
				// Only armed timers fire: a pick among all requests
				// found one about once in three runs.
				var armed []sockactor.ReqID
				for id := sockactor.ReqID(1); id <= s.lastID; id++ {
					if s.timers[id] {
						armed = append(armed, id)
					}
				}
				if len(armed) == 0 {
					t.Skip("no timer armed")
				}
				id := rapid.SampledFrom(armed).Draw(t, "id")
				delete(s.timers, id)
				s.withdraw(t, id, syscall.ETIMEDOUT, s.m.Expire)
			},
			"stop": func(t *rapid.T) {
				// Rarely: a stopped machine refuses everything, so a
				// stop ends the run's checking (one in six ended 60 runs
				// of 100, after a dozen actions).
				if !oneIn(t, "really", 24) {
					t.Skip("rarely")
				}
				s.stopped = true
				s.m.Stop()
				s.effects(t)
				for id := sockactor.ReqID(1); id <= s.lastID; id++ {
					if s.done[id] != 1 {
						t.Fatalf("inv 18/25: after Stop request %d completed %d times", id, s.done[id])
					}
				}
			},
			"": s.Check,
		})
		// Three rounds of rapid's 30 steps on average: with one, a run
		// took ten actions (the rest skipped for want of a transport
		// read, write or armed timer) and read half a PDU.
		for range 3 {
			t.Repeat(actions)
		}
	}
}
