// Command sparsecopy copies a file through stream actors, on one machine
// or between two processes over protoactor remote.
//
// On one machine, a file source reads SRC into a stream, the data and
// holes are handed to a second stream, and a file sink writes that stream
// into DST. Sparse by default (holes travel as holes and stay holes in
// DST); with -dense the holes travel as zeros and DST is written in full.
// DST equals SRC in content and size. As with cp, a DST that is a
// directory receives SRC under its base name, a symbolic link is written
// through, an existing file keeps its permission bits and a new one gets
// SRC's (0644 when SRC is remote: the mode does not travel).
//
// Across processes, a server serves the files under a directory:
//
//	sparsecopy -listen 127.0.0.1:7070 -root DIR        serve DIR
//	sparsecopy SRC 127.0.0.1:7070:NAME                 upload SRC to DIR/NAME
//	sparsecopy 127.0.0.1:7070:NAME DST                 download DIR/NAME to DST
//
// An upload is written to a temporary file beside NAME and renamed into
// place only once every byte and hole is written and synced; the client
// exits 0 only then (the stream's Finish). A download does the same with
// DST. Names that leave DIR (absolute, "..", a symbolic link out of it)
// are refused. With -tls-cert, -tls-key and -tls-ca both sides require
// mutual TLS: a peer whose certificate the CA did not sign cannot
// connect. Without TLS a server listens where it is told, and warns when
// that is not loopback. A client's own node listens on -node (the server
// connects back to it; 127.0.0.1:0 by default, so give it an address the
// server can reach when the server is on another machine).
//
// It prints the bytes of data, the bytes of holes, and the throughput.
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/actorio/actorio/actors"
	"github.com/actorio/actorio/actors/node"
	"github.com/actorio/actorio/streamactor"
	"github.com/actorio/actorio/streamactor/remote"
	"github.com/pkg/errors"
)

func main() { os.Exit(run(os.Args[1:], os.Stdout, os.Stderr)) }

// flags are the command line.
type flags struct {
	dense                  bool
	listen, root, nodeAddr string
	tlsCert, tlsKey, tlsCA string
}

func run(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("sparsecopy", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var f flags
	fs.BoolVar(&f.dense, "dense", false, "send holes as zeros (DST is written in full)")
	fs.StringVar(&f.listen, "listen", "", "serve: the address to listen on (host:port)")
	fs.StringVar(&f.root, "root", "", "serve: the directory whose files are served")
	fs.StringVar(&f.nodeAddr, "node", "127.0.0.1:0", "client: the address of this process's node (the server connects back to it)")
	fs.StringVar(&f.tlsCert, "tls-cert", "", "this node's certificate (PEM); with -tls-key and -tls-ca: mutual TLS")
	fs.StringVar(&f.tlsKey, "tls-key", "", "this node's private key (PEM)")
	fs.StringVar(&f.tlsCA, "tls-ca", "", "the CA certificates to trust (PEM)")
	fs.Usage = func() {
		fmt.Fprintf(stderr, "usage: sparsecopy [-dense] SRC DST\n"+
			"       sparsecopy -listen HOST:PORT -root DIR [-tls-cert F -tls-key F -tls-ca F]\n"+
			"       sparsecopy [-dense] [-tls-...] [-node HOST:PORT] SRC HOST:PORT:NAME\n"+
			"       sparsecopy [-dense] [-tls-...] [-node HOST:PORT] HOST:PORT:NAME DST\n")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	if f.listen != "" || f.root != "" {
		if f.listen == "" || f.root == "" || fs.NArg() != 0 {
			fmt.Fprintln(stderr, "sparsecopy: serving needs -listen and -root, and no files")
			return 2
		}
		return serveMain(f, stdout, stderr)
	}
	if fs.NArg() != 2 {
		fs.Usage()
		return 2
	}
	src, dst := fs.Arg(0), fs.Arg(1)
	from, remoteSrc := ParseTarget(src)
	to, remoteDst := ParseTarget(dst)
	if remoteSrc && remoteDst {
		fmt.Fprintln(stderr, "sparsecopy: one of SRC and DST must be a local file")
		return 2
	}
	start := time.Now()
	var res Result
	var err error
	if !remoteDst {
		base := src
		if remoteSrc {
			base = from.Name
		}
		dst = intoDir(dst, base)
	}
	if !remoteSrc && !remoteDst {
		sys := actors.New(actors.WithLogger(logger(stderr)))
		defer sys.Close(context.Background())
		res, err = Copy(context.Background(), sys, src, dst, !f.dense)
	} else {
		peer := to.Addr
		if remoteSrc {
			peer = from.Addr
		}
		res, err = clientMain(f, stderr, peer, func(ctx context.Context, sys *actors.System, o remote.Options) (Result, error) {
			if remoteDst {
				return Upload(ctx, sys, src, to, !f.dense, o)
			}
			return Download(ctx, sys, from, dst, !f.dense, o)
		})
	}
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

func logger(w io.Writer) *slog.Logger {
	return slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: slog.LevelWarn}))
}

// nodeConfig is the node of either side: messages of up to 512 KiB (a
// 256 KiB segment and then some) in batches of up to 8, mutual TLS if
// asked.
func (f flags) nodeConfig(addr string) (node.Config, remote.Options, error) {
	cfg := node.Config{Addr: addr, MaxMessage: 512 << 10, MaxFrame: 8 << 20}
	if f.tlsCert != "" || f.tlsKey != "" || f.tlsCA != "" {
		t, err := node.LoadTLS(f.tlsCert, f.tlsKey, f.tlsCA)
		if err != nil {
			return cfg, remote.Options{}, err
		}
		cfg.TLS = t
	}
	return cfg, remote.Options{MaxMessage: cfg.MaxMessage}, nil
}

// serveMain serves -root on -listen until SIGINT or SIGTERM.
func serveMain(f flags, stdout, stderr io.Writer) int {
	cfg, o, err := f.nodeConfig(f.listen)
	if err != nil {
		fmt.Fprintf(stderr, "sparsecopy: %v\n", err)
		return 1
	}
	sys := actors.New(actors.WithLogger(logger(stderr)))
	defer sys.Close(context.Background())
	n, err := node.Start(sys, cfg)
	if err != nil {
		fmt.Fprintf(stderr, "sparsecopy: %v\n", err)
		return 1
	}
	defer func() { _ = sys.Close(context.Background()); n.Stop() }() // actors first, then the node (node.Stop)
	srv, err := Serve(sys, f.root, o, stdout)
	if err != nil {
		fmt.Fprintf(stderr, "sparsecopy: %v\n", err)
		return 1
	}
	defer srv.Close()
	tls := "without TLS"
	if cfg.TLS != nil {
		tls = "with mutual TLS"
	}
	fmt.Fprintf(stdout, "sparsecopy: serving %s on %s %s\n", f.root, n.Address(), tls)
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	<-ctx.Done()
	return 0
}

// clientMain starts this process's node and runs do, which talks to the
// server at peer. A probe of peer's address comes first, so a server that
// is not there, refuses the connection or this node's certificate is
// reported at once and why (the remote layer would only time out, after
// protoactor logged its failed connection attempts); when the server
// stops answering later, a second probe says why.
func clientMain(f flags, stderr io.Writer, peer string, do func(context.Context, *actors.System, remote.Options) (Result, error)) (Result, error) {
	cfg, o, err := f.nodeConfig(f.nodeAddr)
	if err != nil {
		return Result{}, err
	}
	sys := actors.New(actors.WithLogger(logger(stderr)))
	defer sys.Close(context.Background())
	n, err := node.Start(sys, cfg)
	if err != nil {
		return Result{}, err
	}
	defer func() { _ = sys.Close(context.Background()); n.Stop() }() // actors first, then the node (node.Stop)
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if why := n.Probe(ctx, peer); why != nil {
		return Result{}, fmt.Errorf("no server answers at %s: %w", peer, why)
	}
	res, err := do(ctx, sys, o)
	if errors.Is(err, remote.ErrDialTimeout) {
		if why := n.Probe(ctx, peer); why != nil {
			err = fmt.Errorf("%w: %v", err, why)
		}
	}
	return res, err
}

// Result is what a copy moved.
type Result struct {
	Data, Holes int64
}

// Copy copies src to dst through stream actors on sys: file source →
// stream → (SparseRecvAll into Send/SendHole) → stream → file sink. It
// returns only after the sink synced dst (the second Finish). A dst that
// is src itself is refused before anything is written.
func Copy(ctx context.Context, sys *actors.System, src, dst string, sparse bool) (Result, error) {
	var res Result
	in, err := os.Open(src)
	if err != nil {
		return res, err
	}
	out, err := openDest(in, dst)
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
