package sim_test

import (
	"bufio"
	"bytes"
	"encoding/json"
	"strings"
	"testing"

	"github.com/actorio/actorio/sim"
)

func recorded(t *testing.T) []sim.Event {
	t.Helper()
	out := sim.RunScenario(pingpong, 3, sim.WithRecording())
	if out.Err != nil || len(out.Trace) == 0 {
		t.Fatalf("%v, %d events", out.Err, len(out.Trace))
	}
	return out.Trace
}

// TestPerfettoTrace: the Chrome-trace export parses as JSON with a
// traceEvents array, every actor that received a message is a named track,
// and every flow arrow has both ends.
func TestPerfettoTrace(t *testing.T) {
	events := recorded(t)
	var buf bytes.Buffer
	if err := sim.WriteTrace(&buf, sim.TracePerfetto, events); err != nil {
		t.Fatal(err)
	}
	var doc struct {
		TraceEvents []struct {
			Name string         `json:"name"`
			Ph   string         `json:"ph"`
			Pid  int            `json:"pid"`
			Tid  int            `json:"tid"`
			ID   uint64         `json:"id"`
			Args map[string]any `json:"args"`
		} `json:"traceEvents"`
	}
	if err := json.Unmarshal(buf.Bytes(), &doc); err != nil {
		t.Fatalf("not JSON: %v", err)
	}
	named := map[[2]int]string{}
	flows := map[uint64]string{}
	for _, e := range doc.TraceEvents {
		switch e.Ph {
		case "M":
			if e.Name == "thread_name" {
				named[[2]int{e.Pid, e.Tid}] = e.Args["name"].(string)
			}
		case "s", "f":
			flows[e.ID] += e.Ph
		}
	}
	receivers := map[string]bool{}
	for _, e := range events {
		if e.Kind == sim.EventDeliver {
			receivers[e.Actor] = true
		}
	}
	names := map[string]bool{}
	for _, n := range named {
		names[n] = true
	}
	for r := range receivers {
		if !names[r] {
			t.Errorf("actor %s has no named track", r)
		}
	}
	complete := 0
	for id, ends := range flows {
		if ends == "sf" {
			complete++
		} else if ends != "s" { // a send whose message was never delivered (dropped at stop) has no end
			t.Errorf("flow %d has ends %q", id, ends)
		}
	}
	if complete < 100 {
		t.Fatalf("only %d send→deliver arrows", complete)
	}
}

// TestTextAndJSONL: one line per event in both, JSON Lines decodable.
func TestTextAndJSONL(t *testing.T) {
	events := recorded(t)
	for _, f := range []sim.TraceFormat{sim.TraceText, sim.TraceJSONL} {
		var buf bytes.Buffer
		if err := sim.WriteTrace(&buf, f, events); err != nil {
			t.Fatal(err)
		}
		lines := 0
		sc := bufio.NewScanner(&buf)
		for sc.Scan() {
			lines++
			if f == sim.TraceJSONL {
				var m map[string]any
				if err := json.Unmarshal(sc.Bytes(), &m); err != nil || m["kind"] == nil || m["hash"] == nil {
					t.Fatalf("bad line %q: %v", sc.Text(), err)
				}
			}
		}
		if lines != len(events) {
			t.Fatalf("%s: %d lines for %d events", f, lines, len(events))
		}
	}
	if _, err := sim.ParseTraceFormat("xml"); err == nil || !strings.Contains(err.Error(), "xml") {
		t.Fatal("bad format accepted")
	}
}
