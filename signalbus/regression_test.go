package signalbus_test

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/actorio/actorio/signalbus"
	"github.com/actorio/actorio/sim"
)

// Regression tests for bugs found in review: each states the behaviour
// expected and where it is specified.

// optDevice is a hand-written event type (no SignalMember) whose throttle
// key is an optional member, a pointer as usual in Go for an optional
// JSON member.
type optDevice struct {
	Device *string `json:"device,omitempty"`
	N      int     `json:"n"`
}

// TestThrottleKeyPointerMember: a throttle keyed on a member read by
// reflection keys on the member's value, not on its address: two
// emissions for the same device within the period are throttled (the
// second held until the period ends).
// Spec: signalbus/members.go Memberer doc "others are read by reflection
// through their json tags"; signalbus/doc.go "per key (an accessor
// argument or a member of T) the first emission goes out at once, later
// ones within the period replace each other"; research §2.3 (key =
// data member value).
func TestThrottleKeyPointerMember(t *testing.T) {
	inSim(t, 5, func(w *sim.World, bus *signalbus.Bus) {
		sig, err := signalbus.NewSignal[optDevice](bus, "OptEvent",
			signalbus.WithThrottle(signalbus.Throttle{Period: time.Second, Key: "device"}))
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		_, _ = sig.Connect(context.Background(), signalbus.FuncSlot(func(_ context.Context, ev *signalbus.Event[optDevice]) {
			got = append(got, fmt.Sprintf("%d@%v", ev.Value.N, w.Now()))
		}))
		_, _ = w.Run()
		dev := func() *string { s := "vda"; return &s }
		_ = sig.Emit(optDevice{Device: dev(), N: 1})
		_ = sig.Emit(optDevice{Device: dev(), N: 2})
		_, _ = w.Run(w.For(3 * time.Second))
		if want := "[1@0s 2@1s]"; fmt.Sprint(got) != want {
			t.Fatalf("got %v want %s", got, want)
		}
	})
}

// portBase is a base type embedded in hand-written event types, as
// QAPI's 'base' types are: encoding/json (and the QMP endpoint) promote
// its members into the event's data.
type PortBase struct {
	ID string `json:"id"`
}

type portBase struct {
	Port string `json:"port"`
}

// vserport embeds an exported and an unexported base (both promoted by
// encoding/json), and a nil-able one.
type vserport struct {
	PortBase
	portBase
	*Extra
	Open bool `json:"open"`
}

// Extra is embedded through a pointer: its members are absent while it
// is nil.
type Extra struct {
	Path string `json:"path"`
}

// TestRegressionThrottleKeyEmbeddedMember: a throttle keyed on a member
// that an embedded struct contributes to the event (as encoding/json and
// the QMP endpoint write it) is accepted and keys on its value; a member
// of a nil embedded pointer is absent ("").
// Spec: signalbus/members.go Memberer doc ("others are read by
// reflection through their json tags"); research §2.3 (VSERPORT_CHANGE
// is throttled per data.id). Found in review: only the struct's own
// fields were searched, so NewSignal refused the signal ("no member
// \"id\"") although the member is in every event it writes.
func TestRegressionThrottleKeyEmbeddedMember(t *testing.T) {
	ev := vserport{PortBase: PortBase{ID: "p1"}, portBase: portBase{Port: "com0"}}
	for name, want := range map[string]string{"id": "p1", "port": "com0", "path": "", "open": "false"} {
		got, err := signalbus.MemberString(name, &ev)
		if err != nil || got != want {
			t.Errorf("member %q: got %q, %v; want %q", name, got, err, want)
		}
	}
	ev.Extra = &Extra{Path: "/dev/x"}
	if got, err := signalbus.MemberString("path", &ev); err != nil || got != "/dev/x" {
		t.Errorf("member path: got %q, %v; want /dev/x", got, err)
	}
	inSim(t, 5, func(w *sim.World, bus *signalbus.Bus) {
		sig, err := signalbus.NewSignal[vserport](bus, "VserportChange",
			signalbus.WithThrottle(signalbus.Throttle{Period: time.Second, Key: "id"}))
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		_, _ = sig.Connect(context.Background(), signalbus.FuncSlot(func(_ context.Context, ev *signalbus.Event[vserport]) {
			got = append(got, fmt.Sprintf("%s/%v@%v", ev.Value.ID, ev.Value.Open, w.Now()))
		}))
		_, _ = w.Run()
		emit := func(id string, open bool) { _ = sig.Emit(vserport{PortBase: PortBase{ID: id}, Open: open}) }
		emit("p1", true)  // at once
		emit("p2", true)  // another port: at once
		emit("p1", false) // held: at 1s
		_, _ = w.Run(w.For(3 * time.Second))
		if want := "[p1/true@0s p2/true@0s p1/false@1s]"; fmt.Sprint(got) != want {
			t.Fatalf("got %v want %s", got, want)
		}
	})
}

// idClash has an untagged field whose name folds to "id" before the
// field whose json name is "id": encoding/json writes them as members
// "Id" and "id".
type idClash struct {
	Id    string //nolint:revive // the clash is the point
	Ident string `json:"id"`
}

// untagged's member is written "Device"; "device" folds to it alone.
type untagged struct{ Device string }

// TestRegressionMemberExactNameWins: member "id" is the field encoding/json
// writes as "id", not an earlier untagged field whose name only folds to
// it; a name that only folds to a single member still finds it.
// Spec: signalbus/members.go Memberer doc ("read by reflection through
// their json tags"). Found in review: the first field whose name matched
// case-insensitively was taken, so the throttle keyed on Id.
func TestRegressionMemberExactNameWins(t *testing.T) {
	ev := idClash{Id: "x", Ident: "a"}
	if got, err := signalbus.MemberString("id", &ev); err != nil || got != "a" {
		t.Errorf("member id: got %q, %v; want a", got, err)
	}
	if got, err := signalbus.MemberString("ident", &ev); err == nil {
		t.Errorf("member ident (json name id): got %q, want an error", got)
	}
	if got, err := signalbus.MemberString("Id", &ev); err != nil || got != "x" {
		t.Errorf("member Id: got %q, %v; want x", got, err)
	}
	if got, err := signalbus.MemberString("device", &untagged{Device: "vda"}); err != nil || got != "vda" {
		t.Errorf("member device of an untagged Device: got %q, %v; want vda", got, err)
	}
}

// hiddenEnum's enum member comes through an unexported embedded struct
// (encoding/json writes it, and reflection may call its String method).
type hiddenEnum struct{ *enumBase }

type enumBase struct {
	Sev tagged `json:"sev"`
}

// TestRegressionMemberEnumThroughUnexportedEmbedded: an enum member
// (String method) of an unexported embedded struct, through a pointer,
// reads through its method, and as absent while the pointer is nil.
// Spec and finding: as TestRegressionThrottleKeyEmbeddedMember.
func TestRegressionMemberEnumThroughUnexportedEmbedded(t *testing.T) {
	if got, err := signalbus.MemberString("sev", &hiddenEnum{&enumBase{tagged{7}}}); err != nil || got != "t7" {
		t.Errorf("member sev: got %q, %v; want t7", got, err)
	}
	if got, err := signalbus.MemberString("sev", &hiddenEnum{}); err != nil || got != "" {
		t.Errorf("member sev of a nil base: got %q, %v; want \"\"", got, err)
	}
}

// TestRegressionMisuseRefused: misuse is refused with an error that
// errors.Is can tell, never a panic, and never accepted to fail later: a
// nil func sink (every event would panic in its executor), a nil signal
// for a session's Connect, a signal without a name or with an unnamed
// accessor argument (no filter could name it),
// an Emit with the wrong number of accessor arguments, a queue bound
// below 1 or an unknown policy.
// Spec: the library's rules (bad input is refused with a wrapped error,
// never a panic); slot.go ErrBadArgument; Queue ("bounds the
// connection's backlog to limit"). Found in review: FuncSink(nil) made a
// session whose every delivery panicked, Session.Connect(nil) panicked,
// NewSignal took an empty name and WithArgs(""), Emit's count error was
// no sentinel, and
// Queue(-5, Policy(9)) connected with a bound of 1 and DropOldest.
func TestRegressionMisuseRefused(t *testing.T) {
	inSim(t, 1, func(w *sim.World, bus *signalbus.Bus) {
		if _, err := bus.NewSession(signalbus.FuncSink(nil)); err == nil {
			t.Error("NewSession(FuncSink(nil)) accepted")
		}
		for _, opt := range []signalbus.SessionOption{signalbus.SessionQueue(0, signalbus.DropOldest), signalbus.SessionQueue(4, signalbus.Policy(9))} {
			if _, err := bus.NewSession(signalbus.FuncSink(func(context.Context, signalbus.AnyEvent) {}), opt); !errors.Is(err, signalbus.ErrBadArgument) {
				t.Errorf("NewSession with a bad queue: got %v, want ErrBadArgument", err)
			}
		}
		ss, err := bus.NewSession(signalbus.FuncSink(func(context.Context, signalbus.AnyEvent) {}))
		if err != nil {
			t.Fatal(err)
		}
		if err := ss.Start(); err != nil {
			t.Fatal(err)
		}
		func() {
			defer func() {
				if r := recover(); r != nil {
					t.Errorf("Session.Connect(nil) panicked: %v", r)
				}
			}()
			if _, err := ss.Connect(nil); !errors.Is(err, signalbus.ErrBadArgument) {
				t.Errorf("Session.Connect(nil): got %v, want ErrBadArgument", err)
			}
		}()
		if _, err := signalbus.NewSignal[blockIO](bus, "Bad", signalbus.WithArgs("")); !errors.Is(err, signalbus.ErrBadArgument) {
			t.Errorf("NewSignal with an unnamed accessor argument: got %v, want ErrBadArgument", err)
		}
		if _, err := signalbus.NewSignal[blockIO](nil, "NoBus"); !errors.Is(err, signalbus.ErrBadArgument) {
			t.Errorf("NewSignal on a nil bus: got %v, want ErrBadArgument", err)
		}
		if _, err := signalbus.NewSignal[blockIO](bus, ""); !errors.Is(err, signalbus.ErrBadArgument) {
			t.Errorf("NewSignal without a name: got %v, want ErrBadArgument", err)
		}
		sig, err := signalbus.NewSignal[blockIO](bus, "BlockIOEvent", signalbus.WithArgs("device"))
		if err != nil {
			t.Fatal(err)
		}
		if err := sig.Emit(blockIO{}); !errors.Is(err, signalbus.ErrBadArgument) {
			t.Errorf("Emit with no accessor argument: got %v, want ErrBadArgument", err)
		}
		nop := signalbus.FuncSlot(func(context.Context, *signalbus.Event[blockIO]) {})
		for _, q := range []signalbus.ConnectOption{signalbus.Queue(0, signalbus.DropOldest), signalbus.Queue(-5, signalbus.DropNewest), signalbus.Queue(4, signalbus.Policy(9))} {
			if h, err := sig.Connect(context.Background(), nop, q); !errors.Is(err, signalbus.ErrBadArgument) {
				t.Errorf("Connect with a bad queue: got %q, %v; want ErrBadArgument", h, err)
			}
		}
	})
}
