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

	"github.com/actorio/actorio/streamactor"
)

// TestReaderWriter: io.Copy through a pipe (holes read as zeros).
func TestReaderWriter(t *testing.T) {
	sys := realSys(t)
	ctx := ctxT(t)
	w, r, err := streamactor.Pipe(sys, streamactor.Sparse())
	if err != nil {
		t.Fatal(err)
	}
	data := bytes.Repeat([]byte("xyz"), 200000)
	errc := make(chan error, 1)
	go func() {
		if _, err := io.Copy(w, bytes.NewReader(data)); err != nil {
			errc <- err
			return
		}
		if err := w.SendHole(ctx, 1000, 0); err != nil {
			errc <- err
			return
		}
		errc <- w.Finish(ctx)
	}()
	var out bytes.Buffer
	if _, err := io.Copy(&out, r); err != nil {
		t.Fatal(err)
	}
	if err := r.Finish(ctx); err != nil {
		t.Fatal(err)
	}
	if err := <-errc; err != nil {
		t.Fatal(err)
	}
	want := append(append([]byte{}, data...), make([]byte, 1000)...)
	if !bytes.Equal(out.Bytes(), want) {
		t.Fatalf("got %d bytes, want %d", out.Len(), len(want))
	}
	_ = w.Free()
	_ = r.Free()
}

// TestReadFromWriteToFiles: ReadFrom(*os.File) finds the holes with
// SEEK_DATA/SEEK_HOLE; WriteTo(*os.File) seeks over them and truncates
// for the trailing one (S29).
func TestReadFromWriteToFiles(t *testing.T) {
	dir := t.TempDir()
	src := filepath.Join(dir, "src")
	dense := writeSparse(t, src, 6<<20, map[int64][]byte{
		1 << 20: bytes.Repeat([]byte("a"), 70000),
		3 << 20: bytes.Repeat([]byte("b"), 4096),
	})
	sys := realSys(t)
	ctx := ctxT(t)
	for _, sparse := range []bool{true, false} {
		var opts []streamactor.Option
		if sparse {
			opts = append(opts, streamactor.Sparse())
		}
		w, r, err := streamactor.Pipe(sys, opts...)
		if err != nil {
			t.Fatal(err)
		}
		in, err := os.Open(src)
		if err != nil {
			t.Fatal(err)
		}
		errc := make(chan error, 1)
		go func() {
			n, err := w.ReadFrom(in)
			if err == nil && n != 6<<20 {
				err = errors.New("ReadFrom moved the wrong amount")
			}
			if err == nil {
				err = w.Finish(ctx)
			}
			in.Close()
			errc <- err
		}()
		dst := filepath.Join(dir, "dst")
		out, err := os.Create(dst)
		if err != nil {
			t.Fatal(err)
		}
		n, err := r.WriteTo(out)
		if err != nil || n != 6<<20 {
			t.Fatalf("sparse=%v: WriteTo %d %v", sparse, n, err)
		}
		if err := r.Finish(ctx); err != nil {
			t.Fatal(err)
		}
		if err := <-errc; err != nil {
			t.Fatal(err)
		}
		out.Close()
		got, _ := os.ReadFile(dst)
		if !bytes.Equal(got, dense) {
			t.Fatalf("sparse=%v: content differs", sparse)
		}
		if fi, _ := os.Stat(dst); sparse && blocksOf(fi)*512 > 1<<20 {
			t.Fatalf("the sparse copy allocates %d bytes", blocksOf(fi)*512)
		}
		_ = w.Free()
		_ = r.Free()
	}
}

// TestWriteToNonFile: WriteTo into a plain writer reports the writer's
// error.
func TestWriteToNonFile(t *testing.T) {
	sys := realSys(t)
	ctx := ctxT(t)
	w, r, err := streamactor.Pipe(sys)
	if err != nil {
		t.Fatal(err)
	}
	go func() { _, _ = w.Send(ctx, []byte("hello")); _ = w.Finish(ctx) }()
	var sb strings.Builder
	if n, err := r.WriteTo(&sb); err != nil || n != 5 || sb.String() != "hello" {
		t.Fatalf("%d %v %q", n, err, sb.String())
	}
	_ = r.Finish(ctx)
	_ = w.Free()
	_ = r.Free()
	_ = context.Background()
}
