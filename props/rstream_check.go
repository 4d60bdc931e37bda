package props

import (
	"bytes"
	"fmt"
	"strings"

	"github.com/actorio/actorio/streamactor"
	"github.com/actorio/actorio/streamactor/remote"
	"github.com/pkg/errors"
)

// CheckRemoteStreamRun checks a remote-stream run:
//
//	RS1  content: what every consumer got is a prefix of what was sent
//	     (as extents on sparse streams: holes at the same offsets)
//	RS2  the end of the stream only after everything: a consumer that got
//	     EOF, or a file sink that committed, has all of it (a committed
//	     file, after every crash of its node)
//	RS3  Finish is the sync point: a producer's Finish returned nil only
//	     if a consumer of the case has everything and finished
//	RS4  aborts: after the producer aborted no consumer saw a clean end;
//	     after the consumer aborted the producer's Finish failed
//	RS5  clear errors: a side that did not succeed has an error, of a
//	     known kind (aborted by the peer, peer lost, segments lost, no
//	     answer, refused), naming the peer's node
//	RS6  a side whose peer's node crashed under it ended within
//	     DeathBound of the crash
//	RS7  liveness: every side whose node did not crash ended (checked
//	     while running, LivenessBound after the heal); the transfers
//	     started after the heal succeeded
func CheckRemoteStreamRun(run *RSRun) error {
	var errs []string
	for i, c := range run.Cases {
		fail := func(format string, args ...any) {
			errs = append(errs, fmt.Sprintf("case %d (%s, upload %v, file %v): %s", i, c.Kind, c.Upload, c.File, fmt.Sprintf(format, args...)))
		}
		checkRSCase(run, i, fail)
	}
	if len(errs) > 0 {
		return errors.New("remote-stream: " + strings.Join(errs, "; "))
	}
	return nil
}

func checkRSCase(run *RSRun, i int, fail func(string, ...any)) {
	c := run.Cases[i]
	want := c.Payload
	if c.File && !c.Upload {
		for _, s := range run.Server[i] {
			want = s.Producer.Sent // the file's own map (block-granular holes)
		}
	}
	same := func(a, b Extents) string {
		if c.Sparse {
			return Diff(a, b)
		}
		if a.Size() != b.Size() || !bytes.Equal(a.Dense(), b.Dense()) {
			return "bytes differ: " + Diff(a, b)
		}
		return ""
	}
	client := run.Client[i]
	if client == nil {
		fail("RS7: never started")
		return
	}
	sides := append([]*RSSide{client}, run.Server[i]...)
	var producerFinished, consumerHasAll, producerAborted bool
	for _, s := range sides {
		peer := rsServer
		if s.Node == rsServer {
			peer = rsClient
		}
		if p := s.Producer; p != nil && !(s.File != nil) {
			if d := same(c.Payload.Prefix(p.Sent.Size()), p.Sent); d != "" {
				fail("the producer sent something else than its payload: %s", d)
			}
			producerFinished = producerFinished || p.Finished
			producerAborted = producerAborted || p.Aborted
			if s.Done && !p.Finished && !p.Aborted {
				checkRSError(fail, s.Node, peer, p.SendErr, p.FinishErr)
			}
		}
		if k := s.Consumer; k != nil && s.File == nil {
			if d := same(want.Prefix(k.Got.Size()), k.Got); d != "" || k.Got.Size() > want.Size() {
				fail("RS1: %s got %d bytes that are not a prefix of the %d sent: %s", s.Node, k.Got.Size(), want.Size(), d)
			}
			if k.EOF {
				if d := same(want, k.Got); d != "" {
					fail("RS2: %s got EOF with %v, sent %v: %s", s.Node, k.Got, want, d)
				}
				consumerHasAll = consumerHasAll || k.Finished
			}
			if s.Done && !k.Finished && !k.Aborted {
				checkRSError(fail, s.Node, peer, k.RecvErr, k.FinishErr)
			}
		}
		if s.File != nil && c.Upload && s.Committed {
			checkRSFile(fail, c.Payload, s)
			consumerHasAll = true
		}
		if s.DialErr != nil {
			checkRSError(fail, s.Node, rsServer, s.DialErr)
		}
	}
	if producerFinished && !consumerHasAll {
		fail("RS3: the producer's Finish returned nil, but no consumer has everything and finished")
	}
	switch c.Kind {
	case CaseProducerAbort:
		for _, s := range sides {
			if k := s.Consumer; k != nil && (k.EOF || k.Finished) && producerAborted {
				fail("RS4: %s saw a clean end after the producer aborted", s.Node)
			}
		}
	case CaseConsumerAbort:
		for _, s := range sides {
			if k := s.Consumer; k != nil && k.Aborted && producerFinished {
				fail("RS4: the producer's Finish succeeded after the consumer aborted")
			}
		}
	}
	checkRSDeath(run, sides, fail)
	if c.AfterHeal && (!producerFinished || !consumerHasAll) {
		fail("RS7: a transfer started after the heal failed: producer finished %v, consumer has all %v (%s)", producerFinished, consumerHasAll, rsSummary(sides))
	}
}

// checkRSError: an error that ended a side is of a known kind and names
// the peer's node (RS5).
func checkRSError(fail func(string, ...any), node, peer string, errs ...error) {
	var err error
	for _, e := range errs {
		if e != nil {
			err = e
			break
		}
	}
	if err == nil {
		fail("RS5: %s ended without success and without an error", node)
		return
	}
	known := errors.Is(err, streamactor.ErrAborted) || errors.Is(err, remote.ErrPeerLost) || errors.Is(err, remote.ErrGap) ||
		errors.Is(err, remote.ErrDialTimeout) || errors.Is(err, remote.ErrRejected) || errors.Is(err, remote.ErrNoService)
	if !known {
		fail("RS5: %s ended with an error of an unknown kind: %v", node, err)
	}
	if !strings.Contains(err.Error(), peer) {
		fail("RS5: %s's error does not name its peer %s: %v", node, peer, err)
	}
}

// checkRSFile: a committed upload is all there, holes kept (RS2).
func checkRSFile(fail func(string, ...any), payload Extents, s *RSSide) {
	got := s.Content
	if got.Size() != payload.Size() || !bytes.Equal(got.Dense(), payload.Dense()) {
		fail("RS2: the committed file holds %v, sent %v: %s", got, payload, Diff(payload, got))
		return
	}
	bs := s.File.BlockSize()
	for _, e := range got.dataRanges() {
		for b := e[0] / bs; b*bs < e[1]; b++ {
			if !payload.hasData(b*bs, (b+1)*bs) {
				fail("RS2: block %d of the committed file is allocated where the payload has a hole", b)
				return
			}
		}
	}
}

// checkRSDeath: a side ends within DeathBound of a crash of its peer's
// node (RS6).
func checkRSDeath(run *RSRun, sides []*RSSide, fail func(string, ...any)) {
	for _, s := range sides {
		if s.Crashed || (s.File != nil && s.Producer != nil) {
			continue // gone with its node; a file source reports nothing
		}
		peer := rsServer
		if s.Node == rsServer {
			peer = rsClient
		}
		for _, t := range run.Crashes[peer] {
			if t < s.Started || (s.Done && s.DoneAt <= t) {
				continue
			}
			if !s.Done || s.DoneAt-t > run.Config.DeathBound {
				fail("RS6: %s (started %v) was still running %v after %s crashed at %v (done %v at %v)",
					s.Node, s.Started, run.Config.DeathBound, peer, t, s.Done, s.DoneAt)
			}
		}
	}
}

func rsSummary(sides []*RSSide) string {
	var parts []string
	for _, s := range sides {
		part := fmt.Sprintf("%s: done %v crashed %v dial %v", s.Node, s.Done, s.Crashed, s.DialErr)
		if p := s.Producer; p != nil {
			part += fmt.Sprintf(" producer finished %v send %v finish %v", p.Finished, p.SendErr, p.FinishErr)
		}
		if k := s.Consumer; k != nil {
			part += fmt.Sprintf(" consumer eof %v finished %v recv %v finish %v", k.EOF, k.Finished, k.RecvErr, k.FinishErr)
		}
		parts = append(parts, part)
	}
	return strings.Join(parts, "; ")
}
