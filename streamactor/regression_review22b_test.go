package streamactor_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

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

// onlyReader hides everything but Read (no WriterTo, no Seeker).
type onlyReader struct{ r io.Reader }

func (o onlyReader) Read(p []byte) (int, error) { return o.r.Read(p) }

// TestReadFromNonBlockKeepsBytes: a NonBlock stream's ReadFrom from a
// plain io.Reader, into a window of one segment, called again after each
// ErrWouldBlock as an event loop would: every byte of the reader arrives.
// ReadFrom used to drop what it had read from the reader but the stream
// refused (io.CopyBuffer returns the short write's error and the rest of
// its buffer is gone).
func TestReadFromNonBlockKeepsBytes(t *testing.T) {
	sys := realSys(t)
	ctx := context.Background()
	const seg = 4096
	w, err := streamactor.New(sys, streamactor.NonBlock(), streamactor.MaxSegment(seg), streamactor.Window(streamactor.SegmentCost(seg)))
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = w.Free() }()
	r, err := streamactor.New(sys, streamactor.MaxSegment(seg), streamactor.Window(streamactor.SegmentCost(seg)))
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = r.Free() }()
	if err := streamactor.Connect(ctx, w, r); err != nil {
		t.Fatal(err)
	}
	src := make([]byte, 64*seg+123)
	for i := range src {
		src[i] = byte(i*7 + i>>12)
	}
	type result struct {
		got []byte
		err error
	}
	done := make(chan result, 1)
	go func() {
		got, err := io.ReadAll(r)
		if err == nil {
			err = r.Finish(ctx) // confirms the end: the sender's Finish returns
		}
		done <- result{got, err}
	}()
	in := onlyReader{bytes.NewReader(src)}
	var total int64
	blocked := 0
	for {
		n, err := w.ReadFrom(in)
		total += n
		if errors.Is(err, streamactor.ErrWouldBlock) {
			blocked++
			time.Sleep(100 * time.Microsecond) // an event loop would wait for EventWritable
			continue
		}
		if err != nil {
			t.Fatalf("ReadFrom: %d, %v", n, err)
		}
		break
	}
	if err := w.Finish(ctx); err != nil {
		t.Fatalf("finish: %v", err)
	}
	res := <-done
	if res.err != nil {
		t.Fatalf("read: %v", res.err)
	}
	if total != int64(len(src)) || !bytes.Equal(res.got, src) {
		t.Fatalf("ReadFrom counted %d, the receiver got %d bytes (equal %v), of %d; ErrWouldBlock %d times", total, len(res.got), bytes.Equal(res.got, src), len(src), blocked)
	}
}
