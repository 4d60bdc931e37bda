package streamactor_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"

	"github.com/actorio/actorio/streamactor"
	"go.uber.org/goleak"
)

// TestFileSourceTruncatedUnder: a file truncated while a source reads it
// fails the download: the receiver never gets a clean end of stream for
// a copy that is not the file (libvirt's virStorageVolDownload reads
// what the file holds; a copy that silently turns lost data into a
// trailing hole, or ends short, is corrupt). Found in review: when the
// file was cut before the next data section, SEEK_DATA said "only a hole
// follows" (ENXIO), and the source sent a hole (zeros) up to the size it
// saw at the start, and then the end of the stream.
func TestFileSourceTruncatedUnder(t *testing.T) {
	sys := realSys(t)
	const seg = 4096
	for _, sparse := range []bool{true, false} {
		for _, cut := range []int64{2 * seg, 6 * seg} { // in the data being read; in the hole after it
			path := filepath.Join(t.TempDir(), "src")
			writeSparse(t, path, 64*seg, map[int64][]byte{
				0:        bytes.Repeat([]byte("a"), 4*seg),
				32 * seg: bytes.Repeat([]byte("b"), seg),
			})
			f := openDouble(t, path, os.O_RDWR)
			var once sync.Once
			f.readAt = func(g streamactor.File, p []byte, off int64) (int, error) {
				n, err := g.ReadAt(p, off)
				once.Do(func() {
					// Another program truncates the file under the source.
					if err := os.Truncate(path, cut); err != nil {
						t.Error(err)
					}
				})
				return n, err
			}
			opts := []streamactor.Option{streamactor.MaxSegment(seg)}
			if sparse {
				opts = append(opts, streamactor.Sparse())
			}
			st, err := streamactor.New(sys, opts...)
			if err != nil {
				t.Fatal(err)
			}
			if err := streamactor.AttachFileSource(st, f, streamactor.FileOptions{}); err != nil {
				t.Fatal(err)
			}
			got, err := recvTo(st)
			if err == nil {
				t.Errorf("sparse=%v, cut at %d: the download of a file truncated under the source succeeded (%d bytes)", sparse, cut, len(got))
			}
			_ = st.Free()
		}
	}
}

// TestReadFromTruncatedUnder: ReadFrom from a regular file that is
// truncated under it fails (io.ErrUnexpectedEOF), as a file source does:
// it sends the file as it found it at the start (holes by SEEK_DATA, up
// to the size it saw), and a file that ends before that is not that
// file. Found in review: a file cut before the next data section sent a
// hole (or zeros) up to the old size; one cut in the data being read
// ended the copy short, both reported as success.
func TestReadFromTruncatedUnder(t *testing.T) {
	sys := realSys(t)
	ctx := ctxT(t)
	const seg = 4096
	for _, sparse := range []bool{true, false} {
		for _, cut := range []int64{seg / 2, 3 * seg} { // in the data; in the hole after it
			path := filepath.Join(t.TempDir(), "src")
			writeSparse(t, path, 64*seg, map[int64][]byte{0: bytes.Repeat([]byte("a"), 2*seg), 32 * seg: []byte("b")})
			opts := []streamactor.Option{streamactor.MaxSegment(seg), streamactor.Window(streamactor.SegmentCost(seg))}
			if sparse {
				opts = append(opts, streamactor.Sparse())
			}
			w, r := freedPipe(t, sys, opts...)
			f, err := os.Open(path)
			if err != nil {
				t.Fatal(err)
			}
			recvd := make(chan error, 1)
			go func() {
				// The first segment is out (ReadFrom has read it):
				// another program truncates the file, then all is read.
				buf := make([]byte, seg)
				_, err := r.Recv(ctx, buf)
				if err == nil {
					err = os.Truncate(path, cut)
				}
				for err == nil {
					_, err = r.Recv(ctx, buf)
				}
				recvd <- err
			}()
			n, err := w.ReadFrom(f)
			if !errors.Is(err, io.ErrUnexpectedEOF) {
				t.Errorf("sparse=%v, cut at %d: ReadFrom of a file truncated under it: %d, %v; want io.ErrUnexpectedEOF", sparse, cut, n, err)
			}
			_ = w.Abort(ctx)
			<-recvd
			f.Close()
		}
	}
}

// TestFileSinkNoHolePunching: a sink whose file system refuses to punch
// holes writes zeros where a hole covers data the file already has, and
// extends the file for a trailing hole: the file reads as the stream.
func TestFileSinkNoHolePunching(t *testing.T) {
	sys := realSys(t)
	ctx := ctxT(t)
	path := filepath.Join(t.TempDir(), "dst")
	if err := os.WriteFile(path, bytes.Repeat([]byte{0xee}, 100000), 0o644); err != nil {
		t.Fatal(err)
	}
	f := openDouble(t, path, os.O_RDWR)
	var punches atomic.Int32
	f.punch = func(_ streamactor.File, off, n int64) error {
		punches.Add(1)
		return errors.Join(streamactor.ErrNoSparseInfo, syscall.EOPNOTSUPP)
	}
	st, err := streamactor.New(sys, streamactor.Sparse(), streamactor.MaxSegment(4096))
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = st.Free() }()
	if err := streamactor.AttachFileSink(st, f, streamactor.FileOptions{Offset: 10}); err != nil {
		t.Fatal(err)
	}
	want := bytes.Repeat([]byte{0xee}, 10)
	send := func(p []byte, hole int64) {
		if p != nil {
			if _, err := st.Send(ctx, p); err != nil {
				t.Fatal(err)
			}
			want = append(want, p...)
		} else {
			if err := st.SendHole(ctx, hole, 0); err != nil {
				t.Fatal(err)
			}
			want = append(want, make([]byte, hole)...)
		}
	}
	send(nil, 3<<20/2) // a leading hole over the data, and past its end
	send([]byte("middle"), 0)
	send(nil, 5000) // a trailing hole
	if err := st.Finish(ctx); err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Fatalf("the file differs from the stream (%d bytes, want %d)", len(got), len(want))
	}
	if punches.Load() == 0 {
		t.Fatal("the sink never tried to punch")
	}
}

// enospcFile fails writes past capacity with ENOSPC, after writing what
// fits (a full file system).
func enospcFile(d *fileDouble, capacity int64) {
	d.writeAt = func(f streamactor.File, p []byte, off int64) (int, error) {
		if off+int64(len(p)) <= capacity {
			return f.WriteAt(p, off)
		}
		n := 0
		if off < capacity {
			n, _ = f.WriteAt(p[:capacity-off], off)
		}
		return n, &os.PathError{Op: "write", Path: "double", Err: syscall.ENOSPC}
	}
}

// TestFileSinkENOSPC: an upload into a full file system fails with
// ENOSPC; the sender's Finish says so, Commit never runs, the file is
// closed and discarded once. On a real (small) tmpfs when the test may
// mount one, with a File double otherwise as well.
func TestFileSinkENOSPC(t *testing.T) {
	sys := realSys(t)
	run := func(t *testing.T, f *fileDouble, tmp string) {
		ctx := ctxT(t)
		var commits, discards atomic.Int32
		st, err := streamactor.New(sys, streamactor.Sparse())
		if err != nil {
			t.Fatal(err)
		}
		defer func() { _ = st.Free() }()
		err = streamactor.AttachFileSink(st, f, streamactor.FileOptions{
			Commit:  func() error { commits.Add(1); return nil },
			Discard: func() { discards.Add(1); _ = os.Remove(tmp) },
		})
		if err != nil {
			t.Fatal(err)
		}
		chunk := bytes.Repeat([]byte("x"), 64<<10)
		for i := 0; i < 16 && err == nil; i++ {
			_, err = st.Send(ctx, chunk)
			if err == nil {
				err = st.SendHole(ctx, 4096, 0)
			}
		}
		if err == nil {
			err = st.Finish(ctx)
		}
		if !errors.Is(err, syscall.ENOSPC) {
			t.Fatalf("upload into a full file system: %v, want ENOSPC", err)
		}
		eventually(t, "closed and discarded", func() bool { return f.closes.Load() == 1 && discards.Load() == 1 })
		stays(t, "closed and discarded once, never committed", func() bool {
			return f.closes.Load() == 1 && discards.Load() == 1 && commits.Load() == 0
		})
	}
	t.Run("double", func(t *testing.T) {
		tmp := filepath.Join(t.TempDir(), "tmp")
		f := openDouble(t, tmp, os.O_RDWR|os.O_CREATE)
		enospcFile(f, 300<<10)
		run(t, f, tmp)
	})
	t.Run("tmpfs", func(t *testing.T) {
		dir := t.TempDir()
		if err := syscall.Mount("tmpfs", dir, "tmpfs", 0, "size=256k"); err != nil {
			t.Skipf("cannot mount a small tmpfs: %v", err)
		}
		defer func() { _ = syscall.Unmount(dir, 0) }()
		tmp := filepath.Join(dir, "tmp")
		run(t, openDouble(t, tmp, os.O_RDWR|os.O_CREATE), tmp)
	})
}

// TestFileSinkAbortWhileClosing: an upload aborted while the sink closes
// its file (at the end of the stream) closes it once and discards it once.
// Found in review: the sink ignored its close's completion once the
// stream was over, and closed the file a second time.
func TestFileSinkAbortWhileClosing(t *testing.T) {
	sys := realSys(t)
	ctx := ctxT(t)
	tmp := filepath.Join(t.TempDir(), "tmp")
	f := openDouble(t, tmp, os.O_RDWR|os.O_CREATE)
	closing, release := make(chan struct{}), make(chan struct{})
	f.close = func(g streamactor.File) error {
		if f.closes.Load() == 1 {
			close(closing)
			<-release
		}
		return g.Close()
	}
	var commits, discards atomic.Int32
	st, err := streamactor.New(sys)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = st.Free() }()
	err = streamactor.AttachFileSink(st, f, streamactor.FileOptions{
		Commit:  func() error { commits.Add(1); return nil },
		Discard: func() { discards.Add(1) },
	})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := st.Send(ctx, []byte("data")); err != nil {
		t.Fatal(err)
	}
	fctx, cancel := context.WithCancel(ctx)
	finished := make(chan error, 1)
	go func() { finished <- st.Finish(fctx) }()
	<-closing
	cancel() // gives up on the Finish: aborts the stream
	if err := <-finished; err == nil {
		t.Fatal("a Finish given up succeeded")
	}
	close(release)
	eventually(t, "discarded", func() bool { return discards.Load() == 1 })
	stays(t, "closed and discarded once, never committed", func() bool {
		return f.closes.Load() == 1 && discards.Load() == 1 && commits.Load() == 0
	})
}

// TestFileSinkStopDuringCommit: a system that closes while a sink's
// Commit runs still runs Discard if the Commit fails, and ends the
// driver's goroutine (FileOptions.Discard "runs after a sink closed the
// file without committing it"). Found in review: the stopping sink saw
// its file closed and did nothing more, so a failed Commit was never
// discarded and the runner's goroutine waited forever.
func TestFileSinkStopDuringCommit(t *testing.T) {
	for _, fails := range []bool{true, false} {
		goleakOpts := goleak.IgnoreCurrent()
		sys := realSys(t)
		ctx := ctxT(t)
		tmp := filepath.Join(t.TempDir(), "tmp")
		f := openDouble(t, tmp, os.O_RDWR|os.O_CREATE)
		committing, release := make(chan struct{}), make(chan struct{})
		var discards atomic.Int32
		st, err := streamactor.New(sys)
		if err != nil {
			t.Fatal(err)
		}
		err = streamactor.AttachFileSink(st, f, streamactor.FileOptions{
			Commit: func() error {
				close(committing)
				<-release
				if fails {
					return errors.New("planted: commit fails")
				}
				return nil
			},
			Discard: func() { discards.Add(1) },
		})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := st.Send(ctx, []byte("data")); err != nil {
			t.Fatal(err)
		}
		finished := make(chan error, 1)
		go func() { finished <- st.Finish(ctx) }()
		<-committing
		if err := sys.Close(ctx); err != nil {
			t.Fatal(err)
		}
		<-finished
		close(release)
		if fails {
			eventually(t, "a failed commit discarded", func() bool { return discards.Load() == 1 })
		}
		stays(t, "discarded once if the commit failed, never if it succeeded", func() bool {
			return discards.Load() == map[bool]int32{true: 1, false: 0}[fails]
		})
		if err := goleak.Find(goleakOpts); err != nil {
			t.Fatalf("commit fails=%v: %v", fails, err)
		}
	}
}

// loopDevice attaches a loop block device over a new file of size bytes
// holding data at the given offsets, or skips the test (not root, no
// losetup, no free loop device).
func loopDevice(t *testing.T, size int64, data map[int64][]byte) string {
	t.Helper()
	img := filepath.Join(t.TempDir(), "img")
	writeSparse(t, img, size, data)
	out, err := exec.Command("losetup", "-f", "--show", img).Output()
	if err != nil {
		t.Skipf("no loop device: %v", err)
	}
	dev := strings.TrimSpace(string(out))
	t.Cleanup(func() { _ = exec.Command("losetup", "-d", dev).Run() })
	return dev
}

// TestFileDriversBlockDevice: the file drivers work on a block device (a
// libvirt volume on an LVM or disk pool): a download sends the whole
// device, an upload with holes leaves zeros under them (no stale data)
// and needs no truncation. Found in review: the drivers took the size
// from stat, which is 0 for a block device, so a download sent nothing
// and reported success, and an upload skipped holes as past the end of
// the file (the old data showed through) and then failed to truncate
// the device (EINVAL).
func TestFileDriversBlockDevice(t *testing.T) {
	sys := realSys(t)
	ctx := ctxT(t)
	const size = 1 << 20
	old := bytes.Repeat([]byte("stale"), 4096)
	dev := loopDevice(t, size, map[int64][]byte{4096: old})
	dense := make([]byte, size)
	copy(dense[4096:], old)

	// Download.
	for _, sparse := range []bool{true, false} {
		f, err := os.Open(dev)
		if err != nil {
			t.Fatal(err)
		}
		var opts []streamactor.Option
		if sparse {
			opts = append(opts, streamactor.Sparse())
		}
		st, err := streamactor.New(sys, opts...)
		if err != nil {
			t.Fatal(err)
		}
		if err := streamactor.AttachFileSource(st, streamactor.OSFile(f), streamactor.FileOptions{}); err != nil {
			t.Fatal(err)
		}
		got, err := recvTo(st)
		if err != nil || !bytes.Equal(got, dense) {
			t.Fatalf("sparse=%v: download of a %d-byte block device: %d bytes, %v (equal: %v)", sparse, size, len(got), err, bytes.Equal(got, dense))
		}
		_ = st.Free()
	}

	// Upload: a hole over the old data, data, a trailing hole.
	f, err := os.OpenFile(dev, os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	st, err := streamactor.New(sys, streamactor.Sparse())
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = st.Free() }()
	if err := streamactor.AttachFileSink(st, streamactor.OSFile(f), streamactor.FileOptions{}); err != nil {
		t.Fatal(err)
	}
	if err := st.SendHole(ctx, 8192, 0); err != nil {
		t.Fatal(err)
	}
	if _, err := st.Send(ctx, []byte("new")); err != nil {
		t.Fatal(err)
	}
	if err := st.SendHole(ctx, 16384, 0); err != nil {
		t.Fatal(err)
	}
	if err := st.Finish(ctx); err != nil {
		t.Fatalf("upload into a block device: %v", err)
	}
	got, err := os.ReadFile(dev)
	if err != nil {
		t.Fatal(err)
	}
	want := append(append(make([]byte, 8192), "new"...), make([]byte, 16384)...)
	want = append(want, dense[len(want):]...)
	if !bytes.Equal(got, want) {
		t.Fatalf("after the upload the device differs (stale data under a hole: %v)", bytes.Contains(got[:len(want)-len(dense[len(want):])], []byte("stale")))
	}
}
