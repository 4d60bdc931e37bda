package main

import (
	"io/fs"
	"os"
	"path/filepath"

	"github.com/pkg/errors"
)

// A local DST is taken as cp takes it: an existing directory receives
// the file under SRC's base name; a symbolic link is written through (its
// target gets the content, the link stays); an existing file keeps its
// permission bits, and a new one gets SRC's (less the umask) on a local
// copy, 0644 on a download (the server does not send a mode) and on an
// upload.

// intoDir returns dst, or dst/BASE(src) when dst is an existing
// directory (or a link to one).
func intoDir(dst, src string) string {
	if fi, err := os.Stat(dst); err == nil && fi.IsDir() {
		return filepath.Join(dst, filepath.Base(src))
	}
	return dst
}

// resolveLinks follows path while it is a symbolic link and returns the
// path at the end, which may not exist yet (a dangling link names the
// file to create).
func resolveLinks(path string) (string, error) {
	for range 40 {
		fi, err := os.Lstat(path)
		if err != nil || fi.Mode()&fs.ModeSymlink == 0 {
			return path, nil
		}
		target, err := os.Readlink(path)
		if err != nil {
			return "", errors.Wrapf(err, "follow the link %s", path)
		}
		if !filepath.IsAbs(target) {
			target = filepath.Join(filepath.Dir(path), target)
		}
		path = target
	}
	return "", errors.Errorf("follow the link %s: too many levels of symbolic links", path)
}

// openDest opens dst for writing, empty, refusing (before anything is
// truncated) a dst that is the already open src under any name: a hard
// link or a symbolic link to it, or the same path. A new dst gets src's
// permission bits (less the umask); an existing one keeps its own.
func openDest(src *os.File, dst string) (*os.File, error) {
	si, err := src.Stat()
	if err != nil {
		return nil, err
	}
	out, err := os.OpenFile(dst, os.O_WRONLY|os.O_CREATE, si.Mode().Perm())
	if err != nil {
		return nil, err
	}
	fail := func(err error) (*os.File, error) {
		out.Close()
		return nil, err
	}
	di, err := out.Stat()
	if err != nil {
		return fail(err)
	}
	if os.SameFile(si, di) {
		return fail(errors.Errorf("%s and %s are the same file", src.Name(), dst))
	}
	if di.Mode().IsRegular() { // as O_TRUNC would; /dev/null has nothing to truncate
		if err := out.Truncate(0); err != nil {
			return fail(err)
		}
	}
	return out, nil
}
