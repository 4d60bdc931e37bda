package sim

import (
	"fmt"
	"strconv"
	"time"
	"unicode"
	"unicode/utf8"
)

// EventKind says what happened at a step of a run.
type EventKind uint8

// The kinds of events a World hashes into its fingerprint and, when
// recording, keeps.
const (
	// EventPick is a scheduling decision: which of the runnable mailboxes
	// takes the next step.
	EventPick EventKind = iota + 1
	// EventDeliver is a message handed to an actor.
	EventDeliver
	// EventTimer is a timer firing on the virtual clock.
	EventTimer
	// EventSupervision is a supervisor's decision about a failed actor.
	EventSupervision
	// EventDeadLetter is a message sent to an actor that does not exist.
	EventDeadLetter
	// EventNote is a note added by a scenario or a fault (World.Note).
	EventNote
	// EventSend is a message posted to an actor's mailbox; its ID links
	// it to the EventDeliver of the same message.
	EventSend
)

var kindNames = [...]string{
	EventPick:        "pick",
	EventDeliver:     "deliver",
	EventTimer:       "timer",
	EventSupervision: "supervise",
	EventDeadLetter:  "deadletter",
	EventNote:        "note",
	EventSend:        "send",
}

// String returns the EventKind in readable form.
func (k EventKind) String() string {
	if int(k) < len(kindNames) && kindNames[k] != "" {
		return kindNames[k]
	}
	return fmt.Sprintf("kind(%d)", uint8(k))
}

// Event is one recorded step of a run. Hash is the run's fingerprint right
// after the event, so two recordings of the same seed diverge exactly at
// the first event whose Hash differs.
type Event struct {
	Step  int64         // scheduling step the event belongs to
	Time  time.Duration // virtual time since the start of the run
	Kind  EventKind
	Node  string // node (System) name, when the event has one
	Actor string // the actor concerned: receiver, failed child, target
	Peer  string // the other party: a delivery's sender
	What  string // message type, directive, timer number, note text
	ID    uint64 // message id: links a send to its delivery (0 for system bookkeeping)
	Hash  uint64
}

// String returns the Event in readable form.
func (e Event) String() string {
	s := fmt.Sprintf("%6d %12v %-10s", e.Step, e.Time, e.Kind)
	if e.Node != "" {
		s += " " + oneLine(e.Node)
	}
	if e.Actor != "" {
		s += " " + oneLine(e.Actor)
	}
	if e.Peer != "" {
		if e.Kind == EventSend {
			s += " -> " + oneLine(e.Peer)
		} else {
			s += " <- " + oneLine(e.Peer)
		}
	}
	if e.What != "" {
		s += " " + oneLine(e.What)
	}
	if e.ID != 0 {
		s += fmt.Sprintf(" #%d", e.ID)
	}
	return s
}

// oneLine returns s as it is when it is printable UTF-8 on one line, and
// Go-quoted otherwise (a newline, a control character, invalid UTF-8), so
// that an event is always one line of a text trace.
func oneLine(s string) string {
	for _, r := range s {
		if r == utf8.RuneError || r == '\u2028' || r == '\u2029' || unicode.IsControl(r) {
			return strconv.Quote(s)
		}
	}
	return s
}

// FirstDivergence compares two recordings of the same seed and returns
// the index of the first event that differs, or -1 if they are the same.
// When one recording is a prefix of the other, the index is the length of
// the shorter one.
func FirstDivergence(a, b []Event) int {
	n := min(len(a), len(b))
	for i := 0; i < n; i++ {
		if a[i].Hash != b[i].Hash {
			return i
		}
	}
	if len(a) != len(b) {
		return n
	}
	return -1
}
