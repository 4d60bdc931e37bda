package main

import (
	"context"
	"io/fs"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/actorio/actorio/actors"
	"github.com/actorio/actorio/streamactor"
	"github.com/actorio/actorio/streamactor/remote"
	"github.com/asynkron/protoactor-go/actor"
	"github.com/pkg/errors"
)

// Target is a file on a sparsecopy server: HOST:PORT:NAME.
type Target struct {
	Addr string // host:port of the server's node
	Name string // the file, relative to the served directory
}

// ParseTarget reads HOST:PORT:NAME (an IPv6 host in brackets); ok is
// false for anything else (a local path: write ./a:1:b for a local file
// named like a target).
func ParseTarget(s string) (Target, bool) {
	var host, rest string
	if strings.HasPrefix(s, "[") {
		end := strings.Index(s, "]:")
		if end < 0 {
			return Target{}, false
		}
		host, rest = s[:end+1], s[end+2:]
	} else {
		var ok bool
		if host, rest, ok = strings.Cut(s, ":"); !ok || host == "" || strings.ContainsAny(host, "/") {
			return Target{}, false
		}
	}
	port, name, ok := strings.Cut(rest, ":")
	if !ok || name == "" {
		return Target{}, false
	}
	if p, err := strconv.Atoi(port); err != nil || p <= 0 || p > 65535 {
		return Target{}, false
	}
	return Target{Addr: net.JoinHostPort(strings.Trim(host, "[]"), port), Name: name}, true
}

// String is t as HOST:PORT:NAME, as ParseTarget reads it.
func (t Target) String() string { return t.Addr + ":" + t.Name }

func (t Target) service() *actor.PID { return actor.NewPID(t.Addr, ServiceName) }

// Upload sends the local file src to t through a remote stream: holes
// as holes when sparse. It returns once the server has written, synced
// and renamed the file into place (the stream's Finish).
func Upload(ctx context.Context, sys *actors.System, src string, t Target, sparse bool, o remote.Options) (Result, error) {
	var res Result
	f, err := os.Open(src)
	if err != nil {
		return res, err
	}
	defer f.Close()
	st, err := remote.Dial(ctx, sys, t.service(), streamactor.RoleSender, "put "+t.Name, o, streamOptions(sparse)...)
	if err != nil {
		return res, errors.Wrapf(err, "upload to %s", t)
	}
	defer st.Free()
	defer abortWhenDone(ctx, st)()
	if _, err := st.ReadFrom(f); err != nil {
		_ = st.Abort(context.Background())
		return res, errors.Wrapf(interrupted(ctx, err), "upload to %s", t)
	}
	if err := st.Finish(ctx); err != nil {
		return res, errors.Wrapf(interrupted(ctx, err), "upload to %s: finish", t)
	}
	stats, err := st.Stats(ctx)
	if err == nil {
		res.Data, res.Holes = stats.SentData, stats.SentHoles
	}
	return res, nil
}

// Download receives t into the local file dst: written to a temporary
// file beside dst, synced, and renamed to dst only once complete. A dst
// that is a symbolic link is written through, an existing dst keeps its
// permission bits (a new one is 0644), and one that is not a regular file
// (a device, a FIFO) is written directly.
func Download(ctx context.Context, sys *actors.System, t Target, dst string, sparse bool, o remote.Options) (res Result, err error) {
	if dst, err = resolveLinks(dst); err != nil {
		return res, err
	}
	perm := fs.FileMode(0o644)
	direct := false
	if fi, err := os.Stat(dst); err == nil {
		switch {
		case fi.IsDir():
			return res, errors.Errorf("download to %s: it is a directory", dst)
		case fi.Mode().IsRegular():
			perm = fi.Mode().Perm()
		default:
			direct = true
		}
	}
	st, err := remote.Dial(ctx, sys, t.service(), streamactor.RoleReceiver, "get "+t.Name, o, streamOptions(sparse)...)
	if err != nil {
		return res, errors.Wrapf(err, "download from %s", t)
	}
	defer st.Free()
	defer abortWhenDone(ctx, st)()
	var out *os.File
	if direct {
		out, err = os.OpenFile(dst, os.O_WRONLY, 0)
	} else {
		out, err = os.CreateTemp(filepath.Dir(dst), "."+filepath.Base(dst)+".sparsecopy-*.tmp")
	}
	if err != nil {
		_ = st.Abort(context.Background())
		return res, err
	}
	defer func() {
		if err != nil {
			out.Close()
			if !direct {
				os.Remove(out.Name())
			}
			_ = st.Abort(context.Background())
		}
	}()
	if _, err = st.WriteTo(out); err != nil {
		return res, errors.Wrapf(interrupted(ctx, err), "download from %s", t)
	}
	if !direct {
		if err = out.Sync(); err != nil {
			return res, err
		}
	}
	if err = st.Finish(ctx); err != nil {
		return res, errors.Wrapf(interrupted(ctx, err), "download from %s: finish", t)
	}
	if !direct {
		if err = out.Chmod(perm); err != nil {
			return res, err
		}
	}
	if err = out.Close(); err != nil {
		return res, err
	}
	if !direct {
		if err = os.Rename(out.Name(), dst); err != nil {
			return res, err
		}
		if d, derr := os.Open(filepath.Dir(dst)); derr == nil {
			_ = d.Sync()
			d.Close()
		}
	}
	if stats, serr := st.Stats(ctx); serr == nil {
		res.Data, res.Holes = stats.RecvData, stats.RecvHoles
	}
	return res, nil
}

// abortWhenDone aborts st as soon as ctx ends (SIGINT, SIGTERM): ReadFrom
// and WriteTo do not watch a context, so this is what stops them. The
// returned function stops the watch.
func abortWhenDone(ctx context.Context, st *streamactor.Stream) func() bool {
	return context.AfterFunc(ctx, func() { _ = st.AbortWith(context.Background(), context.Cause(ctx)) })
}

// interrupted is err, or why ctx ended when it did (the transfer was
// aborted for it): "interrupt signal received" rather than the abort.
func interrupted(ctx context.Context, err error) error {
	if ctx.Err() != nil {
		return context.Cause(ctx)
	}
	return err
}

func streamOptions(sparse bool) []streamactor.Option {
	// A window of 64 segments (16 MiB): enough to keep a loopback or LAN link
	// busy while the peer's credit comes back.
	opts := []streamactor.Option{streamactor.Window(64 * streamactor.SegmentCost(streamactor.DefaultMaxSegment))}
	if sparse {
		opts = append(opts, streamactor.Sparse())
	}
	return opts
}
