package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/actorio/actorio/internal/benchcmp"
)

// benchCopy builds the sparsecopy binary and the research's 4 GiB image
// (64 random 1 MiB extents), and returns a function that runs a command
// n times, each into a fresh DST.
func benchCopy(b *testing.B) (bin, src, dst string, runN func(n int, name string, args ...string)) {
	b.Helper()
	dir := b.TempDir()
	bin = filepath.Join(dir, "sparsecopy")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		b.Fatalf("build: %v\n%s", err, out)
	}
	src, dst = filepath.Join(dir, "src.img"), filepath.Join(dir, "dst.img")
	makeImage(b, src, 4<<30, 64, 1<<20, 1)
	runN = func(n int, name string, args ...string) {
		for i := 0; i < n; i++ {
			b.StopTimer()
			if err := os.Remove(dst); err != nil && !os.IsNotExist(err) {
				b.Fatal(err)
			}
			b.StartTimer()
			if out, err := exec.Command(name, args...).CombinedOutput(); err != nil {
				b.Fatalf("%s: %v\n%s", name, err, out)
			}
		}
	}
	return bin, src, dst, runN
}

// BenchmarkSparsecopyVsCp times `sparsecopy SRC DST` (a process that
// copies through stream actors and syncs DST before it succeeds) against
// `cp --sparse=always --reflink=never SRC DST` on the 4 GiB image, in the
// same run. x-base is cp's time ÷ ours (target ≥ 1/3).
func BenchmarkSparsecopyVsCp(b *testing.B) {
	bin, src, dst, runN := benchCopy(b)
	b.ResetTimer()
	benchcmp.Compare(b,
		func(n int) { runN(n, bin, src, dst) },
		func(n int) { runN(n, "cp", "--sparse=always", "--reflink=never", src, dst) })
}

// BenchmarkSparsecopyVsCpSync is the same against cp followed by
// `sync DST` (fsync), the fair baseline: sparsecopy's Finish syncs.
func BenchmarkSparsecopyVsCpSync(b *testing.B) {
	bin, src, dst, runN := benchCopy(b)
	b.ResetTimer()
	benchcmp.Compare(b,
		func(n int) { runN(n, bin, src, dst) },
		func(n int) {
			runN(n, "sh", "-c", `cp --sparse=always --reflink=never "$1" "$2" && sync "$2"`, "sh", src, dst)
		})
}

// BenchmarkSparseCopyScaling: the cost of copying a 64 GiB image holding
// the same 64 × 1 MiB of data as a 4 GiB one, against the 4 GiB one, in
// the same run: the time must follow the data, not the file size.
func BenchmarkSparseCopyScaling(b *testing.B) {
	dir := b.TempDir()
	bin := filepath.Join(dir, "sparsecopy")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		b.Fatalf("build: %v\n%s", err, out)
	}
	small, big, dst := filepath.Join(dir, "4g.img"), filepath.Join(dir, "64g.img"), filepath.Join(dir, "dst.img")
	makeImage(b, small, 4<<30, 64, 1<<20, 1)
	makeImage(b, big, 64<<30, 64, 1<<20, 1)
	copyN := func(src string) func(int) {
		return func(n int) {
			for i := 0; i < n; i++ {
				b.StopTimer()
				if err := os.Remove(dst); err != nil && !os.IsNotExist(err) {
					b.Fatal(err)
				}
				b.StartTimer()
				if out, err := exec.Command(bin, src, dst).CombinedOutput(); err != nil {
					b.Fatalf("sparsecopy %s: %v\n%s", src, err, out)
				}
			}
		}
	}
	b.ResetTimer()
	benchcmp.Compare(b, copyN(big), copyN(small))
}
