package sim_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"syscall"
	"testing"
	"time"

	"github.com/actorio/actorio/sim"
	"github.com/actorio/actorio/streamactor"
)

func TestSparseFileSeek(t *testing.T) {
	w := sim.New(1)
	f := sim.NewSparseFile(w, "f", sim.FileFaults{})
	if err := f.Truncate(40960); err != nil {
		t.Fatal(err)
	}
	if _, err := f.WriteAt([]byte("x"), 8192+5); err != nil {
		t.Fatal(err)
	}
	if _, err := f.WriteAt(bytes.Repeat([]byte("y"), 5000), 20000); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		data bool
		off  int64
		want int64
		enx  bool
	}{
		{true, 0, 8192, false}, {true, 8192, 8192, false}, {true, 8200, 8200, false},
		{true, 12288, 16384, false}, {true, 28672, 0, true}, {true, 40960, 0, true},
		{false, 0, 0, false}, {false, 8192, 12288, false}, {false, 16384, 28672, false},
	}
	for _, c := range cases {
		var got int64
		var err error
		if c.data {
			got, err = f.SeekData(c.off)
		} else {
			got, err = f.SeekHole(c.off)
		}
		if c.enx {
			if !errors.Is(err, syscall.ENXIO) {
				t.Errorf("seek data %d: %d %v, want ENXIO", c.off, got, err)
			}
			continue
		}
		if err != nil || got != c.want {
			t.Errorf("seek(data=%v) %d = %d %v, want %d", c.data, c.off, got, err, c.want)
		}
	}
	if r := f.DataRanges(); len(r) != 2 || r[0] != [2]int64{8192, 12288} || r[1] != [2]int64{16384, 28672} {
		t.Errorf("ranges %v", r)
	}
	// Crash loses the unsynced writes.
	if err := f.Sync(); err != nil {
		t.Fatal(err)
	}
	if _, err := f.WriteAt([]byte("z"), 0); err != nil {
		t.Fatal(err)
	}
	f.Crash()
	buf := make([]byte, 1)
	if _, err := f.ReadAt(buf, 0); err != nil || buf[0] != 0 {
		t.Fatalf("after crash: %q %v", buf, err)
	}
	if _, err := f.ReadAt(buf, 8197); err != nil || buf[0] != 'x' {
		t.Fatalf("synced data lost: %q %v", buf, err)
	}
}

// TestSparseFileDriversSim: an upload into a simulated file whose sync
// fails: Finish must report it (libvirt's fd stream loses it).
func TestSparseFileDriversSim(t *testing.T) {
	for _, failSync := range []bool{false, true} {
		w := sim.New(3)
		sys := w.MustNode("n1")
		ctx := context.Background()
		f := sim.NewSparseFile(w, "dst", sim.FileFaults{MaxLatency: time.Millisecond, ShortWrite: 0.3})
		if failSync {
			f.FailNextSyncs(1)
		}
		st, err := streamactor.New(sys, streamactor.Sparse())
		if err != nil {
			t.Fatal(err)
		}
		if err := streamactor.AttachFileSink(st, f, streamactor.FileOptions{}); err != nil {
			t.Fatal(err)
		}
		data := bytes.Repeat([]byte("abc"), 100000)
		if _, err := st.Send(ctx, data); err != nil {
			t.Fatal(err)
		}
		if err := st.SendHole(ctx, 1<<20, 0); err != nil {
			t.Fatal(err)
		}
		err = st.Finish(ctx)
		if failSync {
			if !errors.Is(err, syscall.EIO) || !errors.Is(err, streamactor.ErrAborted) {
				t.Fatalf("finish with a failing sync: %v", err)
			}
		} else if err != nil {
			t.Fatal(err)
		}
		if !failSync {
			f.Reopen()
			size, _ := f.Size()
			if size != int64(len(data))+1<<20 {
				t.Fatalf("size %d", size)
			}
			got := make([]byte, len(data))
			if n, err := f.ReadAt(got, 0); n != len(data) || err != nil || !bytes.Equal(got, data) {
				t.Fatalf("content: %d %v", n, err)
			}
			// Download it back through a source on the same file.
			down, _ := streamactor.New(sys, streamactor.Sparse())
			if err := streamactor.AttachFileSource(down, f, streamactor.FileOptions{}); err != nil {
				t.Fatal(err)
			}
			var back []byte
			var holes int64
			err := streamactor.SparseRecvAll(ctx, down,
				func(_ *streamactor.Stream, p []byte) (int, error) { back = append(back, p...); return len(p), nil },
				func(_ *streamactor.Stream, n int64) error { holes += n; return nil })
			if err != nil {
				t.Fatal(err)
			}
			if err := down.Finish(ctx); err != nil {
				t.Fatal(err)
			}
			if int64(len(back))+holes != size || !bytes.Equal(back[:len(data)], data) {
				t.Fatalf("downloaded %d data + %d holes", len(back), holes)
			}
		}
		if err := w.Close(); err != nil {
			t.Fatal(err)
		}
	}
	_ = io.EOF
}
