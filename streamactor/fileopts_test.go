package streamactor_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"syscall"
	"testing"

	"github.com/actorio/actorio/sim"
	"github.com/actorio/actorio/streamactor"
)

// TestSinkLength: a sink refuses more than its Length with ENOSPC (S19,
// holes included); Finish reports it.
func TestSinkLength(t *testing.T) {
	for _, overBy := range []string{"data", "hole"} {
		w := sim.New(5)
		sys := w.MustNode("n1")
		ctx := context.Background()
		f := sim.NewSparseFile(w, "f", sim.FileFaults{})
		st, _ := streamactor.New(sys, streamactor.Sparse())
		if err := streamactor.AttachFileSink(st, f, streamactor.FileOptions{Offset: 100, Length: 1000}); err != nil {
			t.Fatal(err)
		}
		_, _ = st.Send(ctx, make([]byte, 600))
		if overBy == "data" {
			_, _ = st.Send(ctx, make([]byte, 600))
		} else {
			_ = st.SendHole(ctx, 600, 0)
		}
		err := st.Finish(ctx)
		if !errors.Is(err, syscall.ENOSPC) || !errors.Is(err, streamactor.ErrLength) {
			t.Fatalf("over by %s: finish %v", overBy, err)
		}
		if err := w.Close(); err != nil {
			t.Fatal(err)
		}
	}
}

// TestSinkPunchesOverData: a hole over data the file already has reads
// as zeros (libvirt leaves the stale data); without hole punching the
// sink writes zeros.
func TestSinkPunchesOverData(t *testing.T) {
	for _, noSparse := range []bool{false, true} {
		w := sim.New(6)
		sys := w.MustNode("n1")
		ctx := context.Background()
		f := sim.NewSparseFile(w, "f", sim.FileFaults{NoSparse: noSparse})
		if _, err := f.WriteAt(bytes.Repeat([]byte{0xee}, 20000), 0); err != nil {
			t.Fatal(err)
		}
		st, _ := streamactor.New(sys, streamactor.Sparse())
		if err := streamactor.AttachFileSink(st, f, streamactor.FileOptions{}); err != nil {
			t.Fatal(err)
		}
		if _, err := st.Send(ctx, []byte("head")); err != nil {
			t.Fatal(err)
		}
		if err := st.SendHole(ctx, 15000, 0); err != nil {
			t.Fatal(err)
		}
		if err := st.Finish(ctx); err != nil {
			t.Fatal(err)
		}
		f.Reopen()
		got := make([]byte, 20000)
		if _, err := f.ReadAt(got, 0); err != nil {
			t.Fatal(err)
		}
		want := append([]byte("head"), make([]byte, 15000)...)
		want = append(want, bytes.Repeat([]byte{0xee}, 20000-len(want))...)
		if !bytes.Equal(got, want) {
			t.Fatalf("noSparse=%v: stale data under the hole", noSparse)
		}
		if err := w.Close(); err != nil {
			t.Fatal(err)
		}
	}
}

// TestSourceOffsetLengthNoSparse: a source reads its window of the file;
// without SEEK_DATA it sends everything as data.
func TestSourceOffsetLengthNoSparse(t *testing.T) {
	for _, noSparse := range []bool{false, true} {
		w := sim.New(7)
		sys := w.MustNode("n1")
		ctx := context.Background()
		f := sim.NewSparseFile(w, "f", sim.FileFaults{NoSparse: noSparse})
		content := make([]byte, 100000)
		copy(content[50000:], bytes.Repeat([]byte("q"), 9000))
		if _, err := f.WriteAt(content[50000:59000], 50000); err != nil {
			t.Fatal(err)
		}
		if err := f.Truncate(100000); err != nil {
			t.Fatal(err)
		}
		st, _ := streamactor.New(sys, streamactor.Sparse())
		if err := streamactor.AttachFileSource(st, f, streamactor.FileOptions{Offset: 10000, Length: 60000}); err != nil {
			t.Fatal(err)
		}
		var got []byte
		holes := int64(0)
		err := streamactor.SparseRecvAll(ctx, st,
			func(_ *streamactor.Stream, p []byte) (int, error) { got = append(got, p...); return len(p), nil },
			func(_ *streamactor.Stream, n int64) error {
				holes += n
				got = append(got, make([]byte, n)...)
				return nil
			})
		if err != nil {
			t.Fatal(err)
		}
		if err := st.Finish(ctx); err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, content[10000:70000]) {
			t.Fatalf("noSparse=%v: got %d bytes", noSparse, len(got))
		}
		if noSparse != (holes == 0) {
			t.Fatalf("noSparse=%v but %d bytes of holes", noSparse, holes)
		}
		if err := w.Close(); err != nil {
			t.Fatal(err)
		}
	}
}

// TestSourceReadError: a read error aborts the download with it (S13).
func TestSourceReadError(t *testing.T) {
	w := sim.New(8)
	sys := w.MustNode("n1")
	ctx := context.Background()
	f := sim.NewSparseFile(w, "f", sim.FileFaults{})
	if _, err := f.WriteAt(bytes.Repeat([]byte("r"), 30000), 0); err != nil {
		t.Fatal(err)
	}
	f.InjectReadEIO(20000)
	st, _ := streamactor.New(sys)
	if err := streamactor.AttachFileSource(st, f, streamactor.FileOptions{}); err != nil {
		t.Fatal(err)
	}
	n, err := io.Copy(io.Discard, st)
	if !errors.Is(err, syscall.EIO) || n >= 30000 {
		t.Fatalf("copied %d, %v; want EIO", n, err)
	}
	if err := st.Finish(ctx); !errors.Is(err, syscall.EIO) {
		t.Fatalf("finish: %v", err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
}

func TestFileOptionsBad(t *testing.T) {
	sys := realSys(t)
	st, _ := streamactor.New(sys)
	if err := streamactor.AttachFileSink(st, nil, streamactor.FileOptions{}); !errors.Is(err, streamactor.ErrBadOption) {
		t.Fatalf("nil file: %v", err)
	}
	w := sim.New(1)
	if err := streamactor.AttachFileSource(st, sim.NewSparseFile(w, "x", sim.FileFaults{}), streamactor.FileOptions{Offset: -1}); !errors.Is(err, streamactor.ErrBadOption) {
		t.Fatalf("negative offset: %v", err)
	}
	_ = st.Free()
}
