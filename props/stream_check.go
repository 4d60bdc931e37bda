package props

import (
	"bytes"
	"fmt"
	"strings"
	"syscall"

	"github.com/actorio/actorio/streamactor"
	"github.com/pkg/errors"
)

// CheckStreamRun checks a stream scenario run. The invariants carry the
// numbers of research §4 (libvirt-streams.md):
//
//	S1/S2  content: what the consumer got is what the producer sent (as
//	       extents when it stopped at holes, as bytes otherwise)
//	S3/S4  holes at the same offsets; no hole swallowed or duplicated
//	S10/11 EOF only after everything, never followed by data
//	S13    an error raised by the other end or a file is what the next
//	       call returns
//	S14    Finish is the sync point: nil means everything arrived (for an
//	       upload: durable, it survives a crash); a fault means an error
//	S17    after the producer aborts, the consumer never sees a clean EOF
//	S20    order (part of S1)
//	S29    a sparse file round trip keeps content, size and holes
//	S30    a stalled consumer's end never holds more than its window
func CheckStreamRun(run *StreamRun) error {
	var errs []string
	fail := func(c int, format string, args ...any) {
		errs = append(errs, fmt.Sprintf("case %d (%s): %s", c, run.Plan.Cases[c].Kind, fmt.Sprintf(format, args...)))
	}
	strict := run.Plan.Sparse
	same := func(want, got Extents) string {
		if strict {
			return Diff(want, got)
		}
		if want.Size() != got.Size() || !bytes.Equal(want.Dense(), got.Dense()) {
			return "bytes differ: " + Diff(want, got)
		}
		return ""
	}
	prefix := func(i int, sent, got Extents) {
		if d := same(sent.Prefix(got.Size()), got); d != "" || got.Size() > sent.Size() {
			fail(i, "S1/S20: the consumer got %d bytes that are not a prefix of the %d sent: %s", got.Size(), sent.Size(), d)
		}
	}
	for i, c := range run.Plan.Cases {
		p, k := run.Producers[i], run.Consumers[i]
		if !p.Done || !k.Done {
			fail(i, "workload not done (producer %v, consumer %v)", p.Done, k.Done)
			continue
		}
		switch c.Kind {
		case CaseClean, CaseStall:
			if !p.Finished || p.FinishErr != nil || p.SendErr != nil {
				fail(i, "S14: producer finish %v, send error %v", p.FinishErr, p.SendErr)
			}
			if !k.EOF || !k.Finished {
				fail(i, "S11/S14: consumer EOF %v, finish %v, recv error %v", k.EOF, k.FinishErr, k.RecvErr)
			}
			if d := same(c.Payload, p.Sent); d != "" {
				fail(i, "the producer sent something else than its payload: %s", d)
			}
			if d := same(p.Sent, k.Got); d != "" {
				fail(i, "S1/S2/S3/S4: received %v, sent %v: %s", k.Got, p.Sent, d)
			}
			if c.Kind == CaseStall {
				st := run.StallStats
				if st.Queued > run.StallWindow || st.Outstanding > run.StallWindow {
					fail(i, "S30: the stalled end holds %d (outstanding %d) with a window of %d", st.Queued, st.Outstanding, run.StallWindow)
				}
				if st.Queued == 0 || !k.Stalled {
					fail(i, "S30: the check saw nothing queued (stalled %v): it proves nothing", k.Stalled)
				}
			}
		case CaseProducerAbort:
			if !p.Aborted || p.Finished {
				fail(i, "the producer should have aborted (aborted %v, finished %v)", p.Aborted, p.Finished)
			}
			if k.EOF || k.Finished {
				fail(i, "S17: the consumer saw a clean end after the producer aborted")
			}
			if !errors.Is(k.RecvErr, streamactor.ErrAborted) {
				fail(i, "S13: the consumer's error is %v, want ErrAborted", k.RecvErr)
			}
			prefix(i, p.Sent, k.Got)
		case CaseConsumerAbort:
			if !k.Aborted {
				fail(i, "the consumer should have aborted")
			}
			if p.Finished {
				fail(i, "S14: the producer's Finish succeeded after the consumer aborted")
			}
			if !errors.Is(p.FinishErr, streamactor.ErrAborted) && !errors.Is(p.SendErr, streamactor.ErrAborted) {
				fail(i, "S13: the producer saw send %v, finish %v; want ErrAborted", p.SendErr, p.FinishErr)
			}
			prefix(i, p.Sent, k.Got)
		case CaseUpload:
			checkUpload(run, i, fail)
		case CaseDownload:
			switch c.Fault {
			case "eio":
				if k.EOF || !errors.Is(k.RecvErr, syscall.EIO) {
					fail(i, "S13: a read fault at %d: the consumer got EOF %v, error %v; want EIO", c.FaultArg, k.EOF, k.RecvErr)
				}
				prefix(i, run.FileBefore, k.Got)
			default:
				if !k.EOF || !k.Finished {
					fail(i, "download: EOF %v, finish %v, error %v", k.EOF, k.FinishErr, k.RecvErr)
				}
				if d := same(run.FileBefore, k.Got); d != "" {
					fail(i, "S29: download differs from the file: %s", d)
				}
			}
		}
	}
	if len(errs) > 0 {
		return errors.New("stream: " + strings.Join(errs, "; "))
	}
	return nil
}

func checkUpload(run *StreamRun, i int, fail func(int, string, ...any)) {
	c, p := run.Plan.Cases[i], run.Producers[i]
	want := map[string]error{"eio": syscall.EIO, "enospc": syscall.ENOSPC, "sync": syscall.EIO}[c.Fault]
	if want != nil {
		if p.Finished {
			fail(i, "S14: Finish returned nil although the file failed (%s)", c.Fault)
		}
		if !errors.Is(p.FinishErr, want) && !errors.Is(p.SendErr, want) {
			fail(i, "S13: %s fault: send %v, finish %v; want %v", c.Fault, p.SendErr, p.FinishErr, want)
		}
		return
	}
	if !p.Finished {
		fail(i, "upload failed: send %v, finish %v", p.SendErr, p.FinishErr)
		return
	}
	got := run.AfterCrash
	if got.Size() != c.Payload.Size() || !bytes.Equal(got.Dense(), c.Payload.Dense()) {
		fail(i, "S14/S29: after a crash the file holds %v, sent %v: %s", got, c.Payload, Diff(c.Payload, got))
	}
	// Holes stay holes: every data block of the file holds payload data.
	bs := run.Files[i].BlockSize()
	for _, e := range got.dataRanges() {
		for b := e[0] / bs; b*bs < e[1]; b++ {
			if !c.Payload.hasData(b*bs, (b+1)*bs) {
				fail(i, "S29: block %d of the file is allocated but the payload has only a hole there", b)
				return
			}
		}
	}
}

// dataRanges returns the [start, end) of each data extent.
func (x Extents) dataRanges() [][2]int64 {
	var out [][2]int64
	var off int64
	for _, e := range x.Normalize() {
		if !e.Hole {
			out = append(out, [2]int64{off, off + e.Size()})
		}
		off += e.Size()
	}
	return out
}

// hasData reports whether x has data somewhere in [lo, hi).
func (x Extents) hasData(lo, hi int64) bool {
	for _, r := range x.dataRanges() {
		if r[0] < hi && r[1] > lo {
			return true
		}
	}
	return false
}
