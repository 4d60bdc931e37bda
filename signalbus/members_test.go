package signalbus_test

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/actorio/actorio/internal/seedapi/extras"
	"github.com/actorio/actorio/signalbus"
	"github.com/actorio/actorio/sim"
)

// handMoved has generated MovedEvent's fields but none of its methods:
// its members are read by reflection.
type handMoved extras.MovedEvent

// handOrphan is generated OrphanEvent without its methods.
type handOrphan extras.OrphanEvent

// genOpt has an optional member of each scalar kind extras lacks, with a
// SignalMember written as cmd/signalgen writes it (gen.go, typ) for
// optional int, enum, bool and number members.
type genOpt struct {
	N     *int64           `json:"n,omitempty"`
	Sev   *extras.Severity `json:"sev,omitempty"`
	Fast  *bool            `json:"fast,omitempty"`
	Speed *float64         `json:"speed,omitempty"`
}

func (e *genOpt) SignalMember(name string) (string, bool) {
	switch name {
	case "n":
		if e.N == nil {
			return "", true
		}
		return strconv.FormatInt((*e.N), 10), true
	case "sev":
		if e.Sev == nil {
			return "", true
		}
		return (*e.Sev).String(), true
	case "fast":
		if e.Fast == nil {
			return "", true
		}
		return strconv.FormatBool((*e.Fast)), true
	case "speed":
		if e.Speed == nil {
			return "", true
		}
		return strconv.FormatFloat((*e.Speed), 'g', -1, 64), true
	}
	return "", false
}

// handOpt is genOpt without its methods.
type handOpt genOpt

func ptr[V any](v V) *V { return &v }

// agree checks that member name reads the same on gen (through its
// SignalMember) and on hand, the same value without methods (by
// reflection), and returns it.
func agree[G, H any](t *testing.T, name string, gen *G, hand *H) string {
	t.Helper()
	g, gerr := signalbus.MemberString(name, gen)
	h, herr := signalbus.MemberString(name, hand)
	if (gerr == nil) != (herr == nil) {
		t.Fatalf("member %q: generated error %v, hand-written error %v", name, gerr, herr)
	}
	if g != h {
		t.Fatalf("member %q of %+v: generated %q, hand-written %q", name, *gen, g, h)
	}
	return g
}

// TestMembersAgreeWithGenerated: a hand-written event type (read by
// reflection) and the generated one (SignalMember) give a member the
// same value, present or absent, for every kind of member generated
// types offer, and offer the same members.
func TestMembersAgreeWithGenerated(t *testing.T) {
	moved := []extras.MovedEvent{
		{Severity: extras.SeverityInfo, Note: ptr("disk full"), Fast: true, Speed: 0.1},
		{Severity: extras.SeverityCriticalError, Note: ptr(""), Speed: 1e21},
		{Severity: extras.Severity(7), Speed: -2.5e-7},
		{Severity: extras.SeverityWarning, Note: nil, Speed: 3},
	}
	for _, ev := range moved {
		for _, name := range []string{"severity", "note", "fast", "speed", "to", "path", "nosuch"} {
			agree(t, name, &ev, (*handMoved)(&ev))
		}
	}
	if got := agree(t, "note", &moved[0], (*handMoved)(&moved[0])); got != "disk full" {
		t.Fatalf("present note: got %q", got)
	}
	if got := agree(t, "note", &moved[3], (*handMoved)(&moved[3])); got != "" {
		t.Fatalf("absent note: got %q", got)
	}
	if got := agree(t, "severity", &moved[1], (*handMoved)(&moved[1])); got != "critical-error" {
		t.Fatalf("severity: got %q", got)
	}
	for _, n := range []int64{0, -3, 1 << 62} {
		ev := extras.OrphanEvent{N: n}
		agree(t, "n", &ev, (*handOrphan)(&ev))
	}
	opts := []genOpt{
		{},
		{N: ptr(int64(-42)), Sev: ptr(extras.SeverityWarning), Fast: ptr(false), Speed: ptr(1e-9)},
		{N: ptr(int64(0)), Sev: ptr(extras.Severity(-1)), Fast: ptr(true), Speed: ptr(12345678.9)},
	}
	for _, ev := range opts {
		for _, name := range []string{"n", "sev", "fast", "speed"} {
			agree(t, name, &ev, (*handOpt)(&ev))
		}
	}
	if got := agree(t, "sev", &opts[0], (*handOpt)(&opts[0])); got != "" {
		t.Fatalf("absent sev: got %q", got)
	}
	if got := agree(t, "n", &opts[1], (*handOpt)(&opts[1])); got != "-42" {
		t.Fatalf("present n: got %q", got)
	}
}

type devName string

type level uint8

// String is on the pointer: reflection must still find it.
type tagged struct{ id int }

func (t *tagged) String() string { return "t" + strconv.Itoa(t.id) }

type panicky int

func (panicky) String() string { panic("boom") }

// kinds is a hand-written event type with members of other kinds.
type kinds struct {
	Dev     devName     `json:"dev"`
	OptDev  *devName    `json:"opt-dev,omitempty"`
	Level   level       `json:"level"`
	Ratio   float32     `json:"ratio"`
	Deep    **string    `json:"deep,omitempty"`
	Tag     tagged      `json:"tag"`
	OptTag  *tagged     `json:"opt-tag,omitempty"`
	Bad     panicky     `json:"bad"`
	List    []string    `json:"list"`
	Any     any         `json:"any"`
	Map     map[int]int `json:"map"`
	Ignored string      `json:"-"`
	hidden  string      // unexported: never a member
}

// TestMemberKinds: members read by reflection render as generated code
// would (named string and integer types as their values, floats in
// shortest form, String methods, pointers dereferenced, nil as ""), a
// panicking String method does not escape, and members with no string
// value are refused.
func TestMemberKinds(t *testing.T) {
	ev := kinds{Dev: "vda", OptDev: ptr(devName("vdb")), Level: 200, Ratio: 0.1,
		Deep: ptr(ptr("deep")), Tag: tagged{3}, OptTag: &tagged{4}, Bad: 1, hidden: "x"}
	want := map[string]string{"dev": "vda", "opt-dev": "vdb", "level": "200", "ratio": "0.1",
		"deep": "deep", "tag": "t3", "opt-tag": "t4", "bad": "%!v(PANIC=String method: boom)"}
	for name, w := range want {
		got, err := signalbus.MemberString(name, &ev)
		if err != nil || got != w {
			t.Errorf("member %q: got %q, %v; want %q", name, got, err, w)
		}
	}
	var absent kinds
	for _, name := range []string{"opt-dev", "deep", "opt-tag"} {
		got, err := signalbus.MemberString(name, &absent)
		if err != nil || got != "" {
			t.Errorf("absent member %q: got %q, %v; want \"\"", name, got, err)
		}
	}
	absent.Deep = new(*string)
	if got, err := signalbus.MemberString("deep", &absent); err != nil || got != "" {
		t.Errorf("deep nil: got %q, %v", got, err)
	}
	for _, name := range []string{"list", "any", "map", "-", "Ignored", "hidden"} {
		if got, err := signalbus.MemberString(name, &ev); err == nil {
			t.Errorf("member %q: got %q, want an error", name, got)
		}
	}
	_ = ev.hidden
}

// optAction is a hand-written event type with optional key and exempt
// members.
type optAction struct {
	Device *string `json:"device,omitempty"`
	Action *string `json:"action,omitempty"`
	N      int     `json:"n"`
}

// TestThrottleOptionalMembers: a throttle keyed on an optional member
// read by reflection keys on its value (absent members share the key
// ""), and an optional exempt member matches by value.
func TestThrottleOptionalMembers(t *testing.T) {
	inSim(t, 7, func(w *sim.World, bus *signalbus.Bus) {
		sig, err := signalbus.NewSignal[optAction](bus, "OptAction",
			signalbus.WithThrottle(signalbus.Throttle{Period: time.Second, Key: "device", Exempt: map[string][]string{"action": {"stop"}}}))
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		_, _ = sig.Connect(context.Background(), signalbus.FuncSlot(func(_ context.Context, ev *signalbus.Event[optAction]) {
			got = append(got, fmt.Sprintf("%d@%v", ev.Value.N, w.Now()))
		}))
		_, _ = w.Run()
		_ = sig.Emit(optAction{Device: ptr("a"), N: 1})                        // at once
		_ = sig.Emit(optAction{Device: ptr("a"), N: 2})                        // superseded
		_ = sig.Emit(optAction{Device: ptr("a"), Action: ptr("report"), N: 3}) // latest: at 1s
		_ = sig.Emit(optAction{Device: ptr("a"), Action: ptr("stop"), N: 4})   // exempt: at once
		_ = sig.Emit(optAction{N: 5})                                          // key "": at once
		_ = sig.Emit(optAction{N: 6})                                          // latest for "": at 1s
		_, _ = w.Run(w.For(3 * time.Second))
		if want := "[1@0s 4@0s 5@0s 3@1s 6@1s]"; fmt.Sprint(got) != want {
			t.Fatalf("got %v want %s", got, want)
		}
	})
}

// TestThrottleMemberWithoutValue: a throttle keyed on a member that has
// no string value (a list) is refused when the signal is made.
func TestThrottleMemberWithoutValue(t *testing.T) {
	inSim(t, 1, func(_ *sim.World, bus *signalbus.Bus) {
		_, err := signalbus.NewSignal[kinds](bus, "Kinds",
			signalbus.WithThrottle(signalbus.Throttle{Period: time.Second, Key: "list"}))
		if err == nil || !strings.Contains(err.Error(), `"list"`) {
			t.Fatalf("got %v, want an error naming the member", err)
		}
	})
}
