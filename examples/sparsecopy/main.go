// Command sparsecopy copies a file through stream actors: a file source
// reads SRC into a stream, the data and holes are handed to a second
// stream, and a file sink writes that stream into DST. Sparse by default
// (holes travel as holes and stay holes in DST); with -dense the holes
// travel as zeros and DST is written in full. DST equals SRC in content
// and size. It prints the bytes of data, the bytes of holes, and the
// throughput.
//
//	go run ./examples/sparsecopy [-dense] SRC DST
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/actorio/actorio/actors"
	"github.com/actorio/actorio/streamactor"
	"github.com/pkg/errors"
)

func main() { os.Exit(run(os.Args[1:], os.Stdout, os.Stderr)) }

func run(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("sparsecopy", flag.ContinueOnError)
	fs.SetOutput(stderr)
	dense := fs.Bool("dense", false, "send holes as zeros (DST is written in full)")
	fs.Usage = func() {
		fmt.Fprintf(stderr, "usage: sparsecopy [-dense] SRC DST\n")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if fs.NArg() != 2 {
		fs.Usage()
		return 2
	}
	sys := actors.New()
	defer sys.Close(context.Background())
	start := time.Now()
	res, err := Copy(context.Background(), sys, fs.Arg(0), fs.Arg(1), !*dense)
	if err != nil {
		fmt.Fprintf(stderr, "sparsecopy: %v\n", err)
		return 1
	}
	elapsed := time.Since(start)
	fmt.Fprintf(stdout, "data %d bytes, holes %d bytes, %s, %.1f MB/s of data, %.1f MB/s of file\n",
		res.Data, res.Holes, elapsed.Round(time.Millisecond),
		float64(res.Data)/elapsed.Seconds()/1e6, float64(res.Data+res.Holes)/elapsed.Seconds()/1e6)
	return 0
}

// Result is what a copy moved.
type Result struct {
	Data, Holes int64
}

// Copy copies src to dst through stream actors on sys: file source →
// stream → (SparseRecvAll into Send/SendHole) → stream → file sink. It
// returns only after the sink synced dst (the second Finish).
func Copy(ctx context.Context, sys *actors.System, src, dst string, sparse bool) (Result, error) {
	var res Result
	in, err := os.Open(src)
	if err != nil {
		return res, err
	}
	out, err := os.OpenFile(dst, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o644)
	if err != nil {
		in.Close()
		return res, err
	}
	var opts []streamactor.Option
	if sparse {
		opts = append(opts, streamactor.Sparse())
	}
	down, err := streamactor.New(sys, opts...)
	if err != nil {
		in.Close()
		out.Close()
		return res, err
	}
	defer down.Free()
	if err := streamactor.AttachFileSource(down, streamactor.OSFile(in), streamactor.FileOptions{}); err != nil {
		in.Close()
		out.Close()
		return res, err
	}
	up, err := streamactor.New(sys, opts...)
	if err != nil {
		out.Close()
		return res, err
	}
	defer up.Free()
	if err := streamactor.AttachFileSink(up, streamactor.OSFile(out), streamactor.FileOptions{}); err != nil {
		out.Close()
		return res, err
	}
	err = streamactor.SparseRecvAll(ctx, down,
		func(_ *streamactor.Stream, p []byte) (int, error) {
			n, err := up.Send(ctx, p)
			res.Data += int64(n)
			return n, err
		},
		func(_ *streamactor.Stream, n int64) error {
			res.Holes += n
			return up.SendHole(ctx, n, 0)
		})
	if err != nil {
		_ = up.Abort(ctx)
		return res, errors.Wrap(err, "copy")
	}
	if err := down.Finish(ctx); err != nil {
		_ = up.Abort(ctx)
		return res, errors.Wrap(err, "finish reading "+src)
	}
	if err := up.Finish(ctx); err != nil {
		return res, errors.Wrap(err, "finish writing "+dst)
	}
	return res, nil
}
