package streamactor_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/actorio/actorio/streamactor"
)

// TestOptionsRefuseBadValues: a value option out of range is ErrBadOption
// naming the option and the value; it is not silently taken as "use the
// default" (Window(-1) and MaxSegment(0) were).
func TestOptionsRefuseBadValues(t *testing.T) {
	for _, tc := range []struct {
		name string
		opt  streamactor.Option
		want string
	}{
		{"Window(-1)", streamactor.Window(-1), "window -1"},
		{"Window(0)", streamactor.Window(0), "window 0"},
		{"Window(-7)", streamactor.Window(-7), "window -7"},
		{"MaxSegment(0)", streamactor.MaxSegment(0), "max segment 0"},
		{"MaxSegment(-1)", streamactor.MaxSegment(-1), "max segment -1"},
		{"Flags(2)", streamactor.Flags(2), "0x2"},
	} {
		_, err := streamactor.NewConfig(tc.opt)
		if err == nil {
			t.Errorf("%s: accepted", tc.name)
			continue
		}
		if !errors.Is(err, streamactor.ErrBadOption) && !errors.Is(err, streamactor.ErrBadFlags) {
			t.Errorf("%s: %v, want ErrBadOption", tc.name, err)
		}
		if !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: %q does not name %q", tc.name, err, tc.want)
		}
	}
	// A bad value is refused even when a later option would have been
	// valid: every option's value is checked.
	if _, err := streamactor.NewConfig(streamactor.Window(-1), streamactor.Window(4*streamactor.SegmentCost(streamactor.DefaultMaxSegment))); !errors.Is(err, streamactor.ErrBadOption) {
		t.Errorf("Window(-1) then a valid Window: %v, want ErrBadOption", err)
	}
}

// TestFlagOptionsOnlyAdd: flag options only turn flags on, so their order
// does not matter: Flags(0) after NonBlock() does not cancel it, and
// NonBlock() after Flags(0) sets it.
func TestFlagOptionsOnlyAdd(t *testing.T) {
	for _, opts := range [][]streamactor.Option{
		{streamactor.NonBlock(), streamactor.Flags(0)},
		{streamactor.Flags(0), streamactor.NonBlock()},
		{streamactor.Flags(streamactor.StreamNonBlock), streamactor.Flags(0)},
	} {
		c, err := streamactor.NewConfig(opts...)
		if err != nil {
			t.Fatal(err)
		}
		if !c.NonBlock {
			t.Errorf("options %d: NonBlock lost", len(opts))
		}
	}
	c, err := streamactor.NewConfig()
	if err != nil {
		t.Fatal(err)
	}
	if c.NonBlock || c.Sparse || c.Window != streamactor.DefaultWindow || c.MaxSegment != streamactor.DefaultMaxSegment {
		t.Errorf("defaults: %+v", c)
	}
}
