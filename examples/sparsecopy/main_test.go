package main

import (
	"bytes"
	"context"
	"encoding/binary"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/actorio/actorio/actors"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) {
	if os.Getenv(mainEnv) != "" { // a sparsecopy process of a test (see proc_test.go)
		os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
	}
	goleak.VerifyTestMain(m)
}

// makeImage writes a sparse file of size bytes holding n random extents of
// ext bytes at 4 KiB-aligned random offsets (the research's 4 GiB image:
// 64 extents of 1 MiB), synced.
func makeImage(t testing.TB, path string, size int64, n int, ext int64, seed uint64) {
	t.Helper()
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if err := f.Truncate(size); err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(seed, 7))
	p := make([]byte, ext)
	for i := 0; i < n; i++ {
		for j := 0; j+8 <= len(p); j += 8 {
			binary.LittleEndian.PutUint64(p[j:], rng.Uint64())
		}
		off := rng.Int64N(size-ext) &^ 4095
		if _, err := f.WriteAt(p, off); err != nil {
			t.Fatal(err)
		}
	}
	if err := f.Sync(); err != nil {
		t.Fatal(err)
	}
}

// dataRanges walks a file with SEEK_DATA/SEEK_HOLE.
func dataRanges(t testing.TB, f *os.File) [][2]int64 {
	t.Helper()
	fi, err := f.Stat()
	if err != nil {
		t.Fatal(err)
	}
	var out [][2]int64
	for off := int64(0); off < fi.Size(); {
		d, err := f.Seek(off, 3)
		if err == nil {
			var h int64
			if h, err = f.Seek(d, 4); err == nil {
				out = append(out, [2]int64{d, h})
				off = h
				continue
			}
		}
		if pe, ok := err.(*os.PathError); ok && pe.Err == syscall.ENXIO {
			break
		}
		t.Fatal(err)
	}
	return out
}

// openPair opens src and dst for reading; both are closed when the test
// ends.
func openPair(t testing.TB, src, dst string) (a, b *os.File) {
	t.Helper()
	a, err := os.Open(src)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { a.Close() })
	b, err = os.Open(dst)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { b.Close() })
	return a, b
}

// sameFile proves dst == src byte for byte without reading holes: same
// size, the same bytes wherever src has data, and zeros wherever dst has
// data that src does not.
func sameFile(t testing.TB, src, dst string) {
	t.Helper()
	a, b := openPair(t, src, dst)
	ai, _ := a.Stat()
	bi, _ := b.Stat()
	if ai.Size() != bi.Size() {
		t.Fatalf("size %d, want %d", bi.Size(), ai.Size())
	}
	read := func(f *os.File, r [2]int64) []byte {
		p := make([]byte, r[1]-r[0])
		if _, err := f.ReadAt(p, r[0]); err != nil {
			t.Fatal(err)
		}
		return p
	}
	srcData := dataRanges(t, a)
	for _, r := range srcData {
		if !bytes.Equal(read(a, r), read(b, r)) {
			t.Fatalf("bytes differ in [%d, %d)", r[0], r[1])
		}
	}
	for _, r := range dataRanges(t, b) {
		// Parts of dst's data outside src's data must be zeros.
		for lo := r[0]; lo < r[1]; {
			hi := r[1]
			inside := false
			for _, s := range srcData {
				if s[0] <= lo && lo < s[1] {
					hi, inside = min(hi, s[1]), true
					break
				}
				if s[0] > lo {
					hi = min(hi, s[0])
				}
			}
			if !inside {
				for i, c := range read(b, [2]int64{lo, hi}) {
					if c != 0 {
						t.Fatalf("dst has %#x at %d where src has a hole", c, lo+int64(i))
					}
				}
			}
			lo = hi
		}
	}
}

func blocks(t testing.TB, path string) int64 {
	var st syscall.Stat_t
	if err := syscall.Stat(path, &st); err != nil {
		t.Fatal(err)
	}
	return st.Blocks
}

// TestSparsecopy4GiB: a 4 GiB file holding 64 random 1 MiB extents comes
// out byte-identical, with allocated blocks within 10% of the source's.
func TestSparsecopy4GiB(t *testing.T) {
	dir := t.TempDir()
	src, dst := filepath.Join(dir, "src.img"), filepath.Join(dir, "dst.img")
	makeImage(t, src, 4<<30, 64, 1<<20, 1)
	sys := actors.New()
	defer sys.Close(context.Background())
	res, err := Copy(context.Background(), sys, src, dst, true)
	if err != nil {
		t.Fatal(err)
	}
	sameFile(t, src, dst)
	sb, db := blocks(t, src), blocks(t, dst)
	t.Logf("data %d, holes %d; blocks: src %d, dst %d", res.Data, res.Holes, sb, db)
	if res.Data+res.Holes != 4<<30 || res.Holes < 4<<30-64<<20 {
		t.Fatalf("moved %d data + %d holes", res.Data, res.Holes)
	}
	if db > sb+sb/10 || db < sb-sb/10 {
		t.Fatalf("dst allocates %d blocks, src %d: not within 10%%", db, sb)
	}
}

// TestSparsecopyDense: -dense moves holes as zeros; the content is the
// same and the copy is fully allocated.
func TestSparsecopyDense(t *testing.T) {
	dir := t.TempDir()
	src, dst := filepath.Join(dir, "src"), filepath.Join(dir, "dst")
	makeImage(t, src, 8<<20, 5, 100<<10, 2)
	var out, errb bytes.Buffer
	if code := run([]string{"-dense", src, dst}, &out, &errb); code != 0 {
		t.Fatalf("exit %d: %s", code, errb.String())
	}
	sameFile(t, src, dst)
	if !strings.Contains(out.String(), "holes 0 bytes") {
		t.Fatalf("output %q", out.String())
	}
	if b := blocks(t, dst); b*512 < 8<<20 {
		t.Fatalf("a dense copy allocates only %d blocks", b)
	}
}

// TestSparsecopyLeadingTrailingHoles: a file that starts and ends with a
// hole (S29) and an empty file.
func TestSparsecopyLeadingTrailingHoles(t *testing.T) {
	dir := t.TempDir()
	for i, layout := range [][]int64{{1 << 20, 4096, 3 << 20}, {0, 0, 0}, {0, 10, 1 << 20}, {5000, 1, 0}} {
		src, dst := filepath.Join(dir, "s"), filepath.Join(dir, "d")
		f, err := os.Create(src)
		if err != nil {
			t.Fatal(err)
		}
		p := bytes.Repeat([]byte{0xab}, int(layout[1]))
		if _, err := f.WriteAt(p, layout[0]); err != nil {
			t.Fatal(err)
		}
		if err := f.Truncate(layout[0] + layout[1] + layout[2]); err != nil {
			t.Fatal(err)
		}
		f.Close()
		var out, errb bytes.Buffer
		if code := run([]string{src, dst}, &out, &errb); code != 0 {
			t.Fatalf("layout %d: exit %d: %s", i, code, errb.String())
		}
		sameFile(t, src, dst)
	}
}

func TestSparsecopyBadArgs(t *testing.T) {
	var out, errb bytes.Buffer
	if code := run([]string{"onlyone"}, &out, &errb); code != 2 {
		t.Fatalf("one argument: exit %d", code)
	}
	if code := run([]string{"/nonexistent/src", filepath.Join(t.TempDir(), "d")}, &out, &errb); code != 1 || !strings.Contains(errb.String(), "no such file") {
		t.Fatalf("missing source: exit %d, %q", code, errb.String())
	}
}
