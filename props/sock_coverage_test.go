package props

import (
	"fmt"
	"sort"
	"strings"
	"syscall"
	"testing"

	"github.com/actorio/actorio/sockactor"
	"pgregory.net/rapid"
)

// sockCov counts what the socket state machines reach: each action that
// ran (a skipped action is not counted) and each outcome class. A nil
// sockCov counts nothing.
type sockCov map[string]int

func (c sockCov) hit(what string) {
	if c != nil {
		c[what]++
	}
}

// actions wraps each action of a rapid state machine so that it is
// counted when it runs to its end (t.Skip and t.Fatal unwind past it).
func (c sockCov) actions(m map[string]func(*rapid.T)) map[string]func(*rapid.T) {
	if c == nil {
		return m
	}
	out := make(map[string]func(*rapid.T), len(m))
	for name, f := range m { //detguard:unordered builds a map
		if name == "" {
			out[name] = f
			continue
		}
		out[name] = func(t *rapid.T) {
			f(t)
			c["action "+name]++
		}
	}
	return out
}

// outcome counts a completion by its kind and errno.
func (c sockCov) outcome(kind sockactor.OpKind, err error) {
	if c == nil {
		return
	}
	class := "ok"
	if err != nil {
		class = sockactor.Errno(err).Error()
	}
	c[kindWord(kind)+" "+class]++
}

func kindWord(k sockactor.OpKind) string {
	switch k {
	case sockactor.OpReadv, sockactor.OpReadvQueue:
		return "read"
	case sockactor.OpWritev, sockactor.OpWritevQueue:
		return "write"
	case sockactor.OpRecvFrom:
		return "recvfrom"
	case sockactor.OpSendTo, sockactor.OpSendToQueue:
		return "sendto"
	}
	return "other"
}

// errWord is the text outcome uses for errno.
func errWord(e syscall.Errno) string { return e.Error() }

// TestSockMachinesReach: over one rapid.Check (100 runs by default) of
// each socket state machine, every action runs and every outcome class
// the invariants are about happens. Without it a check guarded by an
// outcome that never happens would pass without checking anything.
func TestSockMachinesReach(t *testing.T) {
	// Three checks of each, so that the rarest classes (about six a
	// check) are far from missing by chance.
	stream, dgram := sockCov{}, sockCov{}
	for range 3 {
		rapid.Check(t, checkStreamMachine(stream))
		rapid.Check(t, checkDgramMachine(dgram))
	}
	reached(t, "datagram", dgram, []string{
		"action recv", "action send", "action burst", "action arrive", "action sent", "action flush",
		"action cancel", "action expire", "action stop",
		"recvfrom ok", "recvfrom of a zero-length datagram", "recvfrom " + errWord(syscall.EBUSY),
		"recvfrom " + errWord(syscall.ECANCELED), "recvfrom " + errWord(syscall.ETIMEDOUT),
		"recvfrom " + errWord(syscall.ECONNABORTED),
		"sendto ok", "sendto " + errWord(syscall.EINVAL), "sendto " + errWord(syscall.EMSGSIZE),
		"sendto " + errWord(syscall.EBUSY), "sendto " + errWord(syscall.ECONNREFUSED),
		"sendto " + errWord(syscall.ECANCELED), "sendto " + errWord(syscall.ETIMEDOUT),
		"sendto " + errWord(syscall.ECONNABORTED),
		"withdraw a sendto the transport holds", "withdraw a sendto before the transport has it",
		"sendto kept from leaving by an abort, sent again",
	})
	reached(t, "stream", stream, []string{
		"action read", "action write", "action deliver", "action written", "action flush",
		"action cancel", "action expire", "action stop",
		"read ok", "read of a zero-length body", "peer's EOF",
		"second direct read while one is pending", "read " + errWord(syscall.EBUSY),
		"read " + errWord(syscall.EPIPE), "read EPIPE inside a PDU", "read " + errWord(syscall.EMSGSIZE),
		"read " + errWord(syscall.ECANCELED), "read " + errWord(syscall.ETIMEDOUT),
		"read " + errWord(syscall.ECONNABORTED), "read " + errWord(syscall.ECONNRESET),
		"withdraw a read after part of its PDU",
		"write ok", "write " + errWord(syscall.EINVAL), "write " + errWord(syscall.EBUSY),
		"write " + errWord(syscall.ECANCELED), "write " + errWord(syscall.ETIMEDOUT),
		"write " + errWord(syscall.ECONNABORTED), "write " + errWord(syscall.ECONNRESET),
		"write " + errWord(syscall.EPIPE),
		"withdraw a write before its turn", "transport write aborted", "transport write failed",
		"sticky " + errWord(syscall.EPIPE), "sticky " + errWord(syscall.EMSGSIZE),
		"sticky " + errWord(syscall.ECONNABORTED), "sticky " + errWord(syscall.ECONNRESET),
	})
}

// reached fails t for each of want that cov never counted, and logs all
// counts.
func reached(t *testing.T, what string, cov sockCov, want []string) {
	t.Helper()
	keys := make([]string, 0, len(cov))
	for k := range cov { //detguard:unordered sorted below
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var b strings.Builder
	for _, k := range keys {
		fmt.Fprintf(&b, "\n\t%s: %d", k, cov[k])
	}
	t.Logf("%s machine reached:%s", what, b.String())
	for _, w := range want {
		if cov[w] == 0 {
			t.Errorf("%s machine: %q never happened in %d runs", what, w, cov["runs"])
		}
	}
}
