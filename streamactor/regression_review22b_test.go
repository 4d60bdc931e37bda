package streamactor_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
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

// TestFileSinkRefusesAppendFile: a file sink writes at offsets (the
// stream's Offset, holes as seeks), which a file opened with O_APPEND
// refuses. AttachFileSink and StartFileSink refuse such a file up front
// with ErrBadOption saying so, and leave st attachable; they used to
// accept it and fail the stream at the first write with a WriteAt error.
func TestFileSinkRefusesAppendFile(t *testing.T) {
	sys := realSys(t)
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "log")
	if err := os.WriteFile(path, []byte("old"), 0o600); err != nil {
		t.Fatal(err)
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	st, err := streamactor.New(sys)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = st.Free() }()
	err = streamactor.AttachFileSink(st, streamactor.OSFile(f), streamactor.FileOptions{})
	if !errors.Is(err, streamactor.ErrBadOption) || !strings.Contains(err.Error(), "O_APPEND") {
		_, serr := st.Send(ctx, []byte("new"))
		ferr := st.Finish(ctx)
		t.Fatalf("attach: %v (send %v, finish %v), want ErrBadOption naming O_APPEND", err, serr, ferr)
	}
	if _, err := streamactor.StartFileSink(sys, streamactor.OSFile(f), streamactor.FileOptions{}, st.PID()); !errors.Is(err, streamactor.ErrBadOption) {
		t.Fatalf("start: %v, want ErrBadOption", err)
	}
	// The file was left to the caller, untouched.
	if _, err := f.Write([]byte("+")); err != nil {
		t.Fatalf("the refused file was closed: %v", err)
	}
	got, _ := os.ReadFile(path)
	if string(got) != "old+" {
		t.Fatalf("file %q", got)
	}
	// st is still free to attach elsewhere.
	w, err := streamactor.New(sys)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = w.Free() }()
	if err := streamactor.Connect(ctx, w, st); err != nil {
		t.Fatalf("connect after the refused attach: %v", err)
	}
}
