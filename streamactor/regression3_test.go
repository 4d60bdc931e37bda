package streamactor_test

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"syscall"
	"testing"

	"github.com/actorio/actorio/sim"
	"github.com/actorio/actorio/streamactor"
)

// Regression tests for bugs found in review (continued from
// regression2_test.go).

// TestEmptyUploadPastEndKeepsSize: a stream that covers nothing (no data,
// no hole) leaves the file's size alone, wherever it starts: a file sink
// at an Offset past the file's end, and Stream.WriteTo into a file whose
// offset is past its end, extend the file only by what the stream
// carries (data written there, or a trailing hole: AttachFileSink "a
// trailing hole extends f by truncation"), as write(2) of nothing would.
// Found in review: both truncated the file up to the starting offset at
// the end of an empty stream, so an empty upload at Offset 100 into an
// empty file left it 100 bytes long.
func TestEmptyUploadPastEndKeepsSize(t *testing.T) {
	t.Run("file sink", func(t *testing.T) {
		w := sim.New(7)
		sys := w.MustNode("n1")
		ctx := context.Background()
		f := sim.NewSparseFile(w, "f", sim.FileFaults{})
		st, err := streamactor.New(sys, streamactor.Sparse())
		if err != nil {
			t.Fatal(err)
		}
		if err := streamactor.AttachFileSink(st, f, streamactor.FileOptions{Offset: 100}); err != nil {
			t.Fatal(err)
		}
		if err := st.Finish(ctx); err != nil {
			t.Fatal(err)
		}
		f.Reopen()
		if n, err := f.Size(); n != 0 || err != nil {
			t.Errorf("an empty upload at offset 100 into an empty file: size %d, %v; want 0", n, err)
		}
		if err := w.Close(); err != nil {
			t.Fatal(err)
		}
	})
	t.Run("file sink, a hole", func(t *testing.T) {
		// The contrast: a trailing hole does extend the file.
		w := sim.New(7)
		sys := w.MustNode("n1")
		ctx := context.Background()
		f := sim.NewSparseFile(w, "f", sim.FileFaults{})
		st, err := streamactor.New(sys, streamactor.Sparse())
		if err != nil {
			t.Fatal(err)
		}
		if err := streamactor.AttachFileSink(st, f, streamactor.FileOptions{Offset: 100}); err != nil {
			t.Fatal(err)
		}
		if err := st.SendHole(ctx, 50, 0); err != nil {
			t.Fatal(err)
		}
		if err := st.Finish(ctx); err != nil {
			t.Fatal(err)
		}
		f.Reopen()
		if n, err := f.Size(); n != 150 || err != nil {
			t.Errorf("a hole of 50 at offset 100: size %d, %v; want 150", n, err)
		}
		if err := w.Close(); err != nil {
			t.Fatal(err)
		}
	})
	t.Run("WriteTo", func(t *testing.T) {
		sys := realSys(t)
		ctx := ctxT(t)
		w, r := freedPipe(t, sys, streamactor.Sparse())
		done := make(chan error, 1)
		go func() { done <- w.Finish(ctx) }()
		f, err := os.Create(filepath.Join(t.TempDir(), "out"))
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		if _, err := f.Seek(100, 0); err != nil {
			t.Fatal(err)
		}
		if n, err := r.WriteTo(f); n != 0 || err != nil {
			t.Errorf("WriteTo of an empty stream: %d, %v", n, err)
		}
		if fi, err := f.Stat(); err != nil || fi.Size() != 0 {
			t.Errorf("WriteTo of an empty stream at offset 100 into an empty file: size %v, %v; want 0", fi.Size(), err)
		}
		if err := r.Finish(ctx); err != nil {
			t.Error(err)
		}
		if err := <-done; err != nil {
			t.Error(err)
		}
	})
}

// TestSinkLengthWritesUpToLimit: a file sink with a Length writes the
// data that fits in its window, then fails with ErrLength (ENOSPC), as
// libvirt's fd stream clamps a write to the remaining length and fails
// the next one; what lands in the file does not depend on how the sender
// cut its data into Sends (research invariants 19 and 31). Found in
// review: a segment that crossed the limit was refused whole, so 1500
// bytes sent in one Send into a window of 1000 left nothing in the file,
// while the same bytes sent as 1000 + 500 left 1000.
func TestSinkLengthWritesUpToLimit(t *testing.T) {
	for _, chunks := range [][]int{{1500}, {1000, 500}, {700, 800}} {
		w := sim.New(8)
		sys := w.MustNode("n1")
		ctx := context.Background()
		f := sim.NewSparseFile(w, "f", sim.FileFaults{})
		st, err := streamactor.New(sys, streamactor.Sparse())
		if err != nil {
			t.Fatal(err)
		}
		if err := streamactor.AttachFileSink(st, f, streamactor.FileOptions{Offset: 10, Length: 1000}); err != nil {
			t.Fatal(err)
		}
		for _, n := range chunks {
			_, _ = st.Send(ctx, bytes.Repeat([]byte{7}, n))
		}
		if err := st.Finish(ctx); !errors.Is(err, syscall.ENOSPC) {
			t.Errorf("chunks %v: finish %v, want ENOSPC", chunks, err)
		}
		f.Reopen()
		got := make([]byte, 2000)
		n := f.Peek(got, 0)
		want := append(make([]byte, 10), bytes.Repeat([]byte{7}, 1000)...)
		if !bytes.Equal(got[:n], want) {
			t.Errorf("chunks %v: the file holds %d bytes, want the 10 before Offset and the 1000 of the window", chunks, n)
		}
		if err := w.Close(); err != nil {
			t.Fatal(err)
		}
	}
}

// TestSinkAdjacentHolesOverData: two adjacent holes over data the file
// already has both read as zeros (AttachFileSink: "a punched hole where f
// already holds data, so nothing stale shows through"), however the
// second arrives. Found in review: a hole arriving while the sink punched
// the one before merged into it at the head of the queue, and when the
// punch completed the sink skipped the merged length, punched only for
// the first: the second hole's range kept the old bytes.
func TestSinkAdjacentHolesOverData(t *testing.T) {
	for _, noSparse := range []bool{false, true} {
		w := sim.New(9)
		sys := w.MustNode("n1")
		ctx := context.Background()
		f := sim.NewSparseFile(w, "f", sim.FileFaults{NoSparse: noSparse})
		if _, err := f.WriteAt(bytes.Repeat([]byte{0xee}, 20000), 0); err != nil {
			t.Fatal(err)
		}
		st, err := streamactor.New(sys, streamactor.Sparse())
		if err != nil {
			t.Fatal(err)
		}
		if err := streamactor.AttachFileSink(st, f, streamactor.FileOptions{}); err != nil {
			t.Fatal(err)
		}
		for _, n := range []int64{4096, 4096, 4096} {
			if err := st.SendHole(ctx, n, 0); err != nil {
				t.Fatal(err)
			}
		}
		if err := st.Finish(ctx); err != nil {
			t.Fatal(err)
		}
		f.Reopen()
		got := make([]byte, 20000)
		if n := f.Peek(got, 0); n != 20000 {
			t.Fatalf("size %d, want 20000", n)
		}
		want := append(make([]byte, 3*4096), bytes.Repeat([]byte{0xee}, 20000-3*4096)...)
		if i := bytes.IndexByte(got[:3*4096], 0xee); i >= 0 || !bytes.Equal(got, want) {
			t.Errorf("noSparse=%v: stale data under the holes (first at %d)", noSparse, i)
		}
		if err := w.Close(); err != nil {
			t.Fatal(err)
		}
	}
}

// TestSinkLengthClearsHoleUpToLimit: a hole that crosses a file sink's
// Length clears the part that fits, as data that crosses it is written up
// to the limit, and the rest fails the stream with ErrLength (ENOSPC).
// libvirt's fd stream clamps a hole to the remaining length (research
// §1.2 virStreamSendHole, invariant 19); invariant 14 (Finish returns 0
// only if everything accepted arrived) makes the rest an error, as for
// data. What lands in the file does not depend on how the sender cut its
// holes. Found in review: a crossing hole failed the stream whole, so
// stale bytes stayed where the hole fits and a hole past the end did not
// extend the file to the limit.
func TestSinkLengthClearsHoleUpToLimit(t *testing.T) {
	for _, old := range []int{0, 2000} {
		for _, holes := range [][]int64{{1500}, {1000, 500}, {700, 800}} {
			w := sim.New(10)
			sys := w.MustNode("n1")
			ctx := context.Background()
			f := sim.NewSparseFile(w, "f", sim.FileFaults{})
			if _, err := f.WriteAt(bytes.Repeat([]byte{0xee}, old), 0); err != nil {
				t.Fatal(err)
			}
			st, err := streamactor.New(sys, streamactor.Sparse())
			if err != nil {
				t.Fatal(err)
			}
			if err := streamactor.AttachFileSink(st, f, streamactor.FileOptions{Offset: 10, Length: 1000}); err != nil {
				t.Fatal(err)
			}
			if _, err := st.Send(ctx, bytes.Repeat([]byte{7}, 100)); err != nil {
				t.Fatal(err)
			}
			for _, n := range holes {
				_ = st.SendHole(ctx, n, 0)
			}
			if err := st.Finish(ctx); !errors.Is(err, syscall.ENOSPC) || !errors.Is(err, streamactor.ErrLength) {
				t.Errorf("old %d, holes %v: finish %v, want ErrLength (ENOSPC)", old, holes, err)
			}
			f.Reopen()
			got := make([]byte, 3000)
			n := f.Peek(got, 0)
			want := make([]byte, max(old, 1010))
			copy(want, bytes.Repeat([]byte{0xee}, old))
			copy(want[10:], bytes.Repeat([]byte{7}, 100))
			copy(want[110:1010], make([]byte, 900))
			if !bytes.Equal(got[:n], want) {
				t.Errorf("old %d, holes %v: the file holds %d bytes %v…, want %d: the 100 bytes of data, then zeros up to the limit at 1010",
					old, holes, n, got[100:min(n, 120)], len(want))
			}
			if err := w.Close(); err != nil {
				t.Fatal(err)
			}
		}
	}
}
