package props

import (
	"io"
	"os"
	"path/filepath"
	"syscall"
	"testing"

	"github.com/actorio/actorio/actors"
	"github.com/actorio/actorio/streamactor"
	"github.com/pkg/errors"
)

func TestConformancePipe(t *testing.T)    { CheckStream(t, PipeFactory) }
func TestConformanceConnect(t *testing.T) { CheckStream(t, ConnectFactory) }
func TestConformanceFileSource(t *testing.T) {
	CheckStream(t, fileSourceFactory)
}
func TestConformanceFileSink(t *testing.T) { CheckStream(t, fileSinkFactory) }

// fileSourceFactory: a real sparse file holding the payload, downloaded
// through AttachFileSource.
var fileSourceFactory = StreamFactory{
	Name: "file-source",
	Open: func(t *testing.T, sys *actors.System, payload Extents, opts ...streamactor.Option) *StreamUnderTest {
		path := filepath.Join(t.TempDir(), "src")
		if err := writeSparseFile(path, payload); err != nil {
			t.Fatal(err)
		}
		want, err := readFileExtents(path)
		if err != nil {
			t.Fatal(err)
		}
		f, err := os.Open(path)
		if err != nil {
			t.Fatal(err)
		}
		st, err := streamactor.New(sys, opts...)
		if err != nil {
			t.Fatal(err)
		}
		if err := streamactor.AttachFileSource(st, streamactor.OSFile(f), streamactor.FileOptions{}); err != nil {
			t.Fatal(err)
		}
		return &StreamUnderTest{Recv: st, Want: want, BlockSize: 4096}
	},
}

// fileSinkFactory: a stream uploaded into a new real file through
// AttachFileSink.
var fileSinkFactory = StreamFactory{
	Name: "file-sink",
	Open: func(t *testing.T, sys *actors.System, _ Extents, opts ...streamactor.Option) *StreamUnderTest {
		path := filepath.Join(t.TempDir(), "dst")
		f, err := os.Create(path)
		if err != nil {
			t.Fatal(err)
		}
		st, err := streamactor.New(sys, opts...)
		if err != nil {
			t.Fatal(err)
		}
		if err := streamactor.AttachFileSink(st, streamactor.OSFile(f), streamactor.FileOptions{}); err != nil {
			t.Fatal(err)
		}
		return &StreamUnderTest{Send: st, Result: func() (Extents, error) { return readFileExtents(path) }, BlockSize: 4096}
	},
}

// writeSparseFile writes x as a sparse file: data written, holes skipped.
func writeSparseFile(path string, x Extents) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	var off int64
	for _, e := range x {
		if !e.Hole {
			if _, err := f.WriteAt(e.Data, off); err != nil {
				f.Close()
				return err
			}
		}
		off += e.Size()
	}
	if err := f.Truncate(off); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// readFileExtents reads a real file as extents, walking it with
// SEEK_DATA/SEEK_HOLE: data where the file system has data, holes
// elsewhere.
func readFileExtents(path string) (Extents, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, err
	}
	size := fi.Size()
	var x Extents
	var off int64
	for off < size {
		d, err := f.Seek(off, 3) // SEEK_DATA
		if errors.Is(err, syscall.ENXIO) {
			x.AddHole(size - off)
			break
		}
		if err != nil {
			return nil, err
		}
		x.AddHole(d - off)
		h, err := f.Seek(d, 4) // SEEK_HOLE
		if err != nil {
			return nil, err
		}
		p := make([]byte, h-d)
		if _, err := f.ReadAt(p, d); err != nil && err != io.EOF {
			return nil, err
		}
		x.AddData(p)
		off = h
	}
	return x, nil
}
