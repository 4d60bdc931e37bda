package sim

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"sort"
	"strings"
)

// TraceFormat names a trace file format.
type TraceFormat string

// The trace formats WriteTrace knows.
const (
	// TraceText is one line per event: step, virtual time, kind, node,
	// actor, peer, what, message id. Stable and diffable.
	TraceText TraceFormat = "text"
	// TraceJSONL is one JSON object per event per line, for tools.
	TraceJSONL TraceFormat = "jsonl"
	// TracePerfetto is Chrome Trace Event JSON, which ui.perfetto.dev and
	// chrome://tracing open: nodes are processes, actors are named tracks,
	// each delivery is a slice and each send→deliver pair a flow arrow.
	TracePerfetto TraceFormat = "perfetto"
)

// ParseTraceFormat checks a format name.
func ParseTraceFormat(s string) (TraceFormat, error) {
	switch f := TraceFormat(s); f {
	case TraceText, TraceJSONL, TracePerfetto:
		return f, nil
	}
	return "", fmt.Errorf("sim: unknown trace format %q (want text, jsonl or perfetto)", s)
}

// WriteTrace writes events in format f.
func WriteTrace(w io.Writer, f TraceFormat, events []Event) error {
	switch f {
	case TraceText:
		return writeText(w, events)
	case TraceJSONL:
		return writeJSONL(w, events)
	case TracePerfetto:
		return writePerfetto(w, events)
	}
	return fmt.Errorf("sim: unknown trace format %q", f)
}

func writeText(w io.Writer, events []Event) error {
	bw := bufio.NewWriter(w)
	for _, e := range events {
		if _, err := fmt.Fprintln(bw, e.String()); err != nil {
			return err
		}
	}
	return bw.Flush()
}

// jsonEvent is an Event as JSON Lines write it.
type jsonEvent struct {
	Step  int64  `json:"step"`
	Time  int64  `json:"vtime_ns"`
	Kind  string `json:"kind"`
	Node  string `json:"node,omitempty"`
	Actor string `json:"actor,omitempty"`
	Peer  string `json:"peer,omitempty"`
	What  string `json:"what,omitempty"`
	ID    uint64 `json:"id,omitempty"`
	Hash  string `json:"hash"`
}

func writeJSONL(w io.Writer, events []Event) error {
	bw := bufio.NewWriter(w)
	enc := json.NewEncoder(bw)
	for _, e := range events {
		je := jsonEvent{Step: e.Step, Time: int64(e.Time), Kind: e.Kind.String(), Node: e.Node,
			Actor: e.Actor, Peer: e.Peer, What: e.What, ID: e.ID, Hash: fmt.Sprintf("%016x", e.Hash)}
		if err := enc.Encode(je); err != nil {
			return err
		}
	}
	return bw.Flush()
}

// chromeEvent is one Chrome Trace Event.
type chromeEvent struct {
	Name string         `json:"name"`
	Cat  string         `json:"cat,omitempty"`
	Ph   string         `json:"ph"`
	Ts   float64        `json:"ts"`
	Dur  float64        `json:"dur,omitempty"`
	Pid  int            `json:"pid"`
	Tid  int            `json:"tid"`
	ID   uint64         `json:"id,omitempty"`
	BP   string         `json:"bp,omitempty"`
	S    string         `json:"s,omitempty"`
	Args map[string]any `json:"args,omitempty"`
}

// tracks assigns Chrome pids to nodes and tids to actors, in order of
// first appearance.
type tracks struct {
	pids map[string]int
	tids map[string]int
	meta []chromeEvent
}

const worldTrack = "(world)"

func (t *tracks) track(node, actor string) (int, int) {
	if node == "" {
		node = worldTrack
	}
	pid, ok := t.pids[node]
	if !ok {
		pid = len(t.pids) + 1
		t.pids[node] = pid
		t.meta = append(t.meta, chromeEvent{Name: "process_name", Ph: "M", Pid: pid, Args: map[string]any{"name": node}})
	}
	if actor == "" {
		actor = "(clock)"
	}
	key := node + "/" + actor
	tid, ok := t.tids[key]
	if !ok {
		tid = len(t.tids) + 1
		t.tids[key] = tid
		t.meta = append(t.meta, chromeEvent{Name: "thread_name", Ph: "M", Pid: pid, Tid: tid, Args: map[string]any{"name": actor}})
	}
	return pid, tid
}

// writePerfetto writes Chrome Trace Event JSON. The time axis counts
// scheduling steps (one step = one microsecond), which shows every
// interleaving apart; each event's virtual time is in its args.
func writePerfetto(w io.Writer, events []Event) error {
	t := &tracks{pids: map[string]int{}, tids: map[string]int{}}
	var out []chromeEvent
	for _, e := range events {
		ts := float64(e.Step)
		args := map[string]any{"step": e.Step, "vtime": e.Time.String()}
		switch e.Kind {
		case EventDeliver:
			pid, tid := t.track(e.Node, e.Actor)
			if e.Peer != "" {
				args["sender"] = e.Peer
			}
			out = append(out, chromeEvent{Name: e.What, Cat: "deliver", Ph: "X", Ts: ts, Dur: 1, Pid: pid, Tid: tid, Args: args})
			if e.ID != 0 {
				out = append(out, chromeEvent{Name: "msg", Cat: "flow", Ph: "f", BP: "e", Ts: ts + 0.5, Pid: pid, Tid: tid, ID: e.ID})
			}
		case EventSend:
			if e.ID == 0 {
				continue
			}
			pid, tid := t.track(e.Node, e.Actor)
			if e.Actor == "" {
				// A send from a timer or the driver has no delivery
				// slice around it; give it one so the arrow binds.
				out = append(out, chromeEvent{Name: "send " + e.What, Cat: "send", Ph: "X", Ts: ts, Dur: 1, Pid: pid, Tid: tid, Args: args})
			}
			out = append(out, chromeEvent{Name: "msg", Cat: "flow", Ph: "s", Ts: ts + 0.5, Pid: pid, Tid: tid, ID: e.ID})
		case EventPick:
			continue
		default:
			pid, tid := t.track(e.Node, e.Actor)
			args["what"] = e.What
			out = append(out, chromeEvent{Name: e.Kind.String() + ": " + firstWords(e.What, 6), Cat: e.Kind.String(), Ph: "i", S: "t", Ts: ts + 0.25, Pid: pid, Tid: tid, Args: args})
		}
	}
	sort.SliceStable(t.meta, func(i, j int) bool { return t.meta[i].Pid < t.meta[j].Pid })
	doc := struct {
		TraceEvents     []chromeEvent `json:"traceEvents"`
		DisplayTimeUnit string        `json:"displayTimeUnit"`
	}{TraceEvents: append(t.meta, out...), DisplayTimeUnit: "ns"}
	bw := bufio.NewWriter(w)
	if err := json.NewEncoder(bw).Encode(doc); err != nil {
		return err
	}
	return bw.Flush()
}

func firstWords(s string, n int) string {
	f := strings.Fields(s)
	if len(f) > n {
		f = append(f[:n], "…")
	}
	return strings.Join(f, " ")
}
