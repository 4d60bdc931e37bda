package streamactor_test

import (
	"bytes"
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/actorio/actorio/streamactor"
)

// writeSparse writes a file with data at the given 4 KiB-aligned offsets
// and returns its dense content.
func writeSparse(t *testing.T, path string, size int64, data map[int64][]byte) []byte {
	t.Helper()
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if err := f.Truncate(size); err != nil {
		t.Fatal(err)
	}
	dense := make([]byte, size)
	for off, p := range data {
		if _, err := f.WriteAt(p, off); err != nil {
			t.Fatal(err)
		}
		copy(dense[off:], p)
	}
	return dense
}

func TestFileSourceSinkRoundTrip(t *testing.T) {
	dir := t.TempDir()
	src := filepath.Join(dir, "src")
	dst := filepath.Join(dir, "dst")
	size := int64(10 << 20)
	dense := writeSparse(t, src, size, map[int64][]byte{
		1 << 20: bytes.Repeat([]byte("a"), 300<<10),
		5 << 20: bytes.Repeat([]byte("b"), 4096),
	})
	sys := realSys(t)
	ctx := ctxT(t)
	for _, sparse := range []bool{true, false} {
		var opts []streamactor.Option
		if sparse {
			opts = append(opts, streamactor.Sparse())
		}
		down, err := streamactor.New(sys, opts...)
		if err != nil {
			t.Fatal(err)
		}
		sf, err := os.Open(src)
		if err != nil {
			t.Fatal(err)
		}
		if err := streamactor.AttachFileSource(down, streamactor.OSFile(sf), streamactor.FileOptions{}); err != nil {
			t.Fatal(err)
		}
		up, err := streamactor.New(sys, opts...)
		if err != nil {
			t.Fatal(err)
		}
		df, err := os.Create(dst)
		if err != nil {
			t.Fatal(err)
		}
		if err := streamactor.AttachFileSink(up, streamactor.OSFile(df), streamactor.FileOptions{}); err != nil {
			t.Fatal(err)
		}
		var holes int64
		err = streamactor.SparseRecvAll(ctx, down,
			func(_ *streamactor.Stream, p []byte) (int, error) { return up.Send(ctx, p) },
			func(_ *streamactor.Stream, n int64) error { holes += n; return up.SendHole(ctx, n, 0) })
		if err != nil {
			t.Fatal(err)
		}
		if err := down.Finish(ctx); err != nil {
			t.Fatal(err)
		}
		if err := up.Finish(ctx); err != nil {
			t.Fatal(err)
		}
		got, err := os.ReadFile(dst)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, dense) {
			t.Fatalf("sparse=%v: content differs (%d vs %d bytes)", sparse, len(got), len(dense))
		}
		if sparse && holes != size-(300<<10)-4096 {
			t.Fatalf("holes %d", holes)
		}
		fi, _ := os.Stat(dst)
		t.Logf("sparse=%v holes=%d size=%d", sparse, holes, fi.Size())
		_ = down.Free()
		_ = up.Free()
	}
	_ = io.EOF
}
