package main

import (
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"

	"github.com/actorio/actorio/actors"
	"github.com/actorio/actorio/streamactor"
	"github.com/actorio/actorio/streamactor/remote"
	"github.com/pkg/errors"
)

// ServiceName is the stream service a sparsecopy server runs.
const ServiceName = "sparsecopy"

// Errors of the server.
var (
	// ErrBadName: a name that is empty, absolute, or leaves the root
	// (a ".." element, or a symbolic link out of it).
	ErrBadName = errors.New("sparsecopy: name outside the served directory")
	// ErrBadRequest: not "put NAME" or "get NAME", or the wrong direction.
	ErrBadRequest = errors.New("sparsecopy: bad request")
)

func init() {
	// A client's errors.Is finds them after they crossed.
	if err := remote.RegisterError("sparsecopy.ErrBadName", ErrBadName); err != nil {
		panic(err)
	}
	if err := remote.RegisterError("sparsecopy.ErrBadRequest", ErrBadRequest); err != nil {
		panic(err)
	}
}

// Server serves the files under one directory: "put NAME" uploads into
// NAME (written to a temporary file beside it, renamed into place only
// once everything is written and synced), "get NAME" downloads NAME.
type Server struct {
	root *os.Root
	dir  string
	svc  *remote.Service
	seq  atomic.Int64
	log  io.Writer
}

// Serve starts a server of dir on sys (a node: see actors/node).
func Serve(sys *actors.System, dir string, o remote.Options, log io.Writer) (*Server, error) {
	root, err := os.OpenRoot(dir)
	if err != nil {
		return nil, errors.Wrap(err, "sparsecopy: serve")
	}
	s := &Server{root: root, dir: dir, log: log}
	s.svc, err = remote.Serve(sys, ServiceName, s.handle, o)
	if err != nil {
		root.Close()
		return nil, err
	}
	return s, nil
}

// Close stops serving (transfers under way go on) and releases the
// directory.
func (s *Server) Close() error {
	s.svc.Stop()
	return s.root.Close()
}

// handle runs in the service's actor for each request: it opens the file
// and hands it to a file driver (the streaming itself runs off the
// actor, on the driver's goroutine).
func (s *Server) handle(req *remote.Request) error {
	op, name, ok := strings.Cut(req.Meta, " ")
	if !ok {
		return errors.Wrapf(ErrBadRequest, "%q", req.Meta)
	}
	if err := checkName(name); err != nil {
		return err
	}
	switch {
	case op == "put" && req.Role == streamactor.RoleReceiver:
		return s.put(req, name)
	case op == "get" && req.Role == streamactor.RoleSender:
		return s.get(req, name)
	}
	return errors.Wrapf(ErrBadRequest, "%q (the client sends: %v)", req.Meta, req.Role == streamactor.RoleReceiver)
}

// checkName refuses names that lexically leave the root; the os.Root
// refuses the rest (symbolic links out of it).
func checkName(name string) error {
	if !filepath.IsLocal(name) || strings.ContainsRune(name, 0) || filepath.Clean(name) != name {
		return errors.Wrapf(ErrBadName, "%q", name)
	}
	return nil
}

// rootErr turns the os.Root's refusal of a path that escapes it into
// ErrBadName.
func rootErr(err error, name string) error {
	if err != nil && strings.Contains(err.Error(), "path escapes from parent") {
		return errors.Wrapf(ErrBadName, "%q: %v", name, err)
	}
	return err
}

func (s *Server) put(req *remote.Request, name string) error {
	dir, base := filepath.Split(name)
	tmp := filepath.Join(dir, fmt.Sprintf(".%s.sparsecopy-%d-%d.tmp", base, os.Getpid(), s.seq.Add(1)))
	// A new file is 0644 under the umask (the mode does not travel); one
	// that replaces a regular file keeps that file's permissions, as cp
	// onto an existing file does.
	perm, keep := fs.FileMode(0o644), false
	if fi, err := s.root.Lstat(name); err == nil {
		switch {
		case fi.Mode().IsRegular():
			perm, keep = fi.Mode().Perm(), true
		case fi.IsDir():
			return errors.Errorf("sparsecopy: put %q: it is a directory", name)
		case fi.Mode()&os.ModeSymlink != 0:
			// The rename would replace the link; one that leads out of
			// the root is a name outside it.
			if _, err := s.root.Stat(name); err != nil {
				return rootErr(errors.Wrapf(err, "sparsecopy: put %q", name), name)
			}
		}
	}
	f, err := s.root.OpenFile(tmp, os.O_RDWR|os.O_CREATE|os.O_EXCL, perm)
	if err != nil {
		return rootErr(errors.Wrapf(err, "sparsecopy: put %q", name), name)
	}
	if keep {
		if err := f.Chmod(perm); err != nil { // exactly, whatever the umask
			f.Close()
			_ = s.root.Remove(tmp)
			return errors.Wrapf(err, "sparsecopy: put %q: keeping its mode %v", name, perm)
		}
	}
	root := s.root
	err = req.AcceptFileSink(streamactor.OSFile(f), streamactor.FileOptions{
		// Written, truncated and synced: now it may have its name.
		Commit: func() error {
			if err := root.Rename(tmp, name); err != nil {
				return rootErr(err, name)
			}
			return syncDir(root, dir)
		},
		Discard: func() { _ = root.Remove(tmp) },
	})
	if err != nil {
		f.Close()
		_ = s.root.Remove(tmp)
		return err
	}
	fmt.Fprintf(s.log, "sparsecopy: %s puts %s\n", req.Peer, name)
	return nil
}

func (s *Server) get(req *remote.Request, name string) error {
	f, err := s.root.Open(name)
	if err != nil {
		return rootErr(errors.Wrapf(err, "sparsecopy: get %q", name), name)
	}
	fi, err := f.Stat()
	if err != nil || !fi.Mode().IsRegular() {
		f.Close()
		if err == nil {
			err = errors.Errorf("sparsecopy: get %q: not a regular file", name)
		}
		return err
	}
	if err := req.AcceptFileSource(streamactor.OSFile(f), streamactor.FileOptions{}); err != nil {
		f.Close()
		return err
	}
	fmt.Fprintf(s.log, "sparsecopy: %s gets %s (%s bytes)\n", req.Peer, name, strconv.FormatInt(fi.Size(), 10))
	return nil
}

// syncDir makes a rename in dir durable.
func syncDir(root *os.Root, dir string) error {
	if dir == "" {
		dir = "."
	}
	d, err := root.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}
