package props

import (
	"fmt"
	"sort"
	"strings"

	"github.com/actorio/actorio/actors"
	"github.com/actorio/actorio/signalbus"
	"github.com/pkg/errors"
)

// The invariants of the remote-signal scenario, mapped to
// research/qapi-events.md §5:
//
//	RS1 (I3, I4, I5, I7, I10, I11, I16, I18, I19, I23) per node incarnation, CheckSignalLog:
//	    tags are handles, no emission twice, filters hold, nothing after a
//	    Disconnect returned (from outside or inside the slot), one order per
//	    connection, throttle spacing and first-event timing on local
//	    connections that kept up, timestamps
//	RS2 (I11 across nodes) every delivered emission has the sequence number
//	    the witness saw on the signal's node
//	RS3 (I4, I6: exactly once while connected) no unexplained gap in a
//	    connection's delivered range: every matching fan-out between two
//	    deliveries was delivered or counted as dropped by the overflow
//	    policy (exactly that count with drop-oldest; at most the counts
//	    with drop-newest, whose count can come early), partitions and
//	    lossy links notwithstanding
//	RS4 (I17, liveness after the heal) a connection that survived gets the
//	    whole tail of the plain signal and the last tail emission of each
//	    key of the throttled one (checked while running, see tailMissing)
//	RS5 a dead node's connections are removed: at the end the server holds
//	    none of a crashed incarnation's, and the signals on "a" hold exactly
//	    the witness, the local director's open connections and the server's
//	RS6 events in flight to a dead node are counted: every connection the
//	    server removed because its subscriber was gone, and which was still
//	    open there (its node crashed, or it was lost), counts at least the
//	    deliveries the subscriber's slot never saw
//	RS7 the witness lost nothing (else RS2/RS3 would prove nothing)

// CheckRemoteSignal checks a finished report.
func CheckRemoteSignal(cfg RemoteSignalConfig, rep *RemoteSignalReport) error {
	if !rep.Finished {
		return errors.New("remote-signal: report not final")
	}
	if rep.Emits.Emitted == 0 {
		return errors.New("remote-signal: nothing was emitted")
	}
	var errs []string
	fail := func(format string, args ...any) { errs = append(errs, fmt.Sprintf(format, args...)) }
	if err := checkLogs(rep); err != nil {
		fail("RS1: %v", err)
	}
	witnessSeq := map[string]map[int]uint64{}
	for _, name := range actors.SortedKeys(rep.Witness) {
		witnessSeq[name] = map[int]uint64{}
		for _, s := range rep.Witness[name] {
			witnessSeq[name][s.ID] = s.Seq
			if s.Dropped != 0 {
				fail("RS7: the witness of %s lost %d events", name, s.Dropped)
			}
		}
	}
	for _, k := range actors.SortedKeys(rep.Conns) {
		c := rep.Conns[k]
		seen := c.Rec.Got[string(c.Handle)]
		for _, s := range seen {
			if q, ok := witnessSeq[s.Signal][s.ID]; !ok || q != s.Seq {
				fail("RS2: %s got emission %d of %s with seq %d, the signal gave it %d (known %v)", k, s.ID, s.Signal, s.Seq, q, ok)
			}
		}
		if msg := gapCheck(c, seen, rep.Witness[simSignals[c.Signal].Name]); msg != "" {
			fail("RS3: %s %s", k, msg)
		}
	}
	if missing := tailMissing(rep); len(missing) > 0 {
		fail("RS4: %v", missing)
	}
	checkRemoval(rep, fail)
	checkLosses(rep, fail)
	if len(errs) > 0 {
		sort.Strings(errs)
		return errors.New("remote-signal: " + strings.Join(errs, "; "))
	}
	return nil
}

// checkLogs runs CheckSignalLog on each node incarnation's connections
// (handles are unique within one), the witness with node a's.
func checkLogs(rep *RemoteSignalReport) error {
	logs := map[string]*SignalLog{}
	logOf := func(key string) *SignalLog {
		if logs[key] == nil {
			logs[key] = &SignalLog{Conns: map[string]*ConnLog{}, Order: rep.Emits.EmitIndex}
		}
		return logs[key]
	}
	for _, k := range actors.SortedKeys(rep.Conns) {
		c := rep.Conns[k]
		off := c.OffAt
		if at := c.Rec.OffAt[string(c.Handle)]; at > 0 && (off == 0 || at < off) {
			off = at
		}
		logOf(fmt.Sprintf("%s#%d", c.Node, c.Inc)).Conns[string(c.Handle)] = &ConnLog{Explicit: true, Filter: c.Filter,
			Signal: simSignals[c.Signal].Name, KeptUp: !c.Remote && !c.Held, Seen: c.Rec.Got[string(c.Handle)], OffAt: off}
	}
	for _, name := range actors.SortedKeys(rep.WitnessH) {
		h := rep.WitnessH[name]
		logOf("a#1").Conns[string(h)] = &ConnLog{Explicit: true, Signal: name, KeptUp: true, Seen: rep.Witness[name]}
	}
	var errs []string
	for _, key := range actors.SortedKeys(logs) {
		if err := CheckSignalLog(logs[key], SlowPeriod); err != nil {
			errs = append(errs, key+": "+err.Error())
		}
	}
	if len(errs) > 0 {
		return errors.New(strings.Join(errs, "; "))
	}
	return nil
}

// gapCheck compares a connection's deliveries with the witness's fan-outs
// of its signal: between two deliveries, the matching fan-outs it did not
// get must be those its overflow policy dropped.
func gapCheck(c *RemoteConn, seen []Seen, fanouts []Seen) string {
	if len(seen) < 2 {
		return ""
	}
	first, last := seen[0].Seq, seen[len(seen)-1].Seq
	got := map[uint64]bool{}
	for _, s := range seen {
		got[s.Seq] = true
	}
	var missing []uint64
	for _, f := range fanouts {
		if f.Seq > first && f.Seq < last && !got[f.Seq] && (c.Filter == "" || f.Dev == c.Filter) {
			missing = append(missing, f.Seq)
		}
	}
	if c.Policy == signalbus.DropOldest {
		j := 0
		for i := 1; i < len(seen); i++ {
			n := 0
			for j < len(missing) && missing[j] < seen[i].Seq {
				n++
				j++
			}
			if uint64(n) != seen[i].Dropped {
				return fmt.Sprintf("missed %d fan-outs before seq %d, which reports %d dropped", n, seen[i].Seq, seen[i].Dropped)
			}
		}
		return ""
	}
	var dropped uint64
	for _, s := range seen[1:] {
		dropped += s.Dropped
	}
	if uint64(len(missing)) > dropped {
		return fmt.Sprintf("missed %d fan-outs between seq %d and %d, reports %d dropped", len(missing), first, last, dropped)
	}
	return ""
}

// checkRemoval checks RS5.
func checkRemoval(rep *RemoteSignalReport, fail func(string, ...any)) {
	if rep.Server == nil {
		fail("RS5: no server stats")
		return
	}
	alive := map[uint64]bool{}
	for _, node := range actors.SortedKeys(rep.Epochs) {
		es := rep.Epochs[node]
		alive[es[len(es)-1]] = true
	}
	want := map[string]map[signalbus.Handle]bool{}
	for i := range simSignals {
		name := simSignals[i].Name
		want[name] = map[signalbus.Handle]bool{rep.WitnessH[name]: true}
	}
	for _, sc := range rep.Server.Conns {
		if !alive[sc.Epoch] {
			fail("RS5: the server still holds connection %s of dead incarnation %d of %s", sc.Conn, sc.Epoch, sc.Client)
		}
		if want[sc.Signal] != nil {
			want[sc.Signal][sc.Local] = true
		}
	}
	for _, k := range actors.SortedKeys(rep.Conns) {
		if c := rep.Conns[k]; !c.Remote && c.Open {
			want[simSignals[c.Signal].Name][c.Handle] = true
		}
	}
	for _, name := range actors.SortedKeys(want) {
		for _, h := range actors.SortedKeys(rep.Signals[name]) {
			if !want[name][h] {
				fail("RS5: signal %s on a keeps connection %s, which nobody holds", name, h)
			}
		}
		for _, h := range actors.SortedKeys(want[name]) {
			if !rep.Signals[name][h] {
				fail("RS5: signal %s on a lacks connection %s", name, h)
			}
		}
	}
}

// checkLosses checks RS6. A connection may have had several streams on
// the server (a late duplicate connect re-creates one after a removal),
// so its losses are added up.
func checkLosses(rep *RemoteSignalReport, fail func(string, ...any)) {
	byEpoch := map[uint64]string{}
	for _, node := range actors.SortedKeys(rep.Epochs) {
		for i, e := range rep.Epochs[node] {
			byEpoch[e] = fmt.Sprintf("%s#%d", node, i+1)
		}
	}
	type total struct {
		sent, inFlight uint64
		why            string
	}
	totals := map[string]*total{}
	for _, l := range rep.Losses {
		inc, ok := byEpoch[l.Epoch]
		if !ok {
			fail("RS6: the server lost connection %s of an unknown client incarnation %d", l.Conn, l.Epoch)
			continue
		}
		key := inc + "/" + string(l.Conn)
		if rep.Conns[key] == nil {
			fail("RS6: the server lost connection %s, which no director made", key)
			continue
		}
		if totals[key] == nil {
			totals[key] = &total{}
		}
		t := totals[key]
		t.sent, t.inFlight, t.why = t.sent+l.Sent, t.inFlight+l.InFlight, l.Why
	}
	for _, key := range actors.SortedKeys(totals) {
		c, t := rep.Conns[key], totals[key]
		if !c.Crashed && c.Lost == nil {
			// Its user disconnected it first: the barrier dropped (and
			// acknowledged) what was still on its way; only the
			// disconnect did not reach the server before the node went.
			continue
		}
		seen := uint64(len(c.Rec.Got[string(c.Handle)]))
		if seen > t.sent {
			fail("RS6: %s saw %d events, the server sent only %d", key, seen, t.sent)
		}
		if t.sent > seen && t.inFlight < t.sent-seen {
			fail("RS6: %s: the server sent %d, the slot saw %d, but only %d counted in flight when its node was gone (%s)", key, t.sent, seen, t.inFlight, t.why)
		}
	}
}
