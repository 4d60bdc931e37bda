package main

import (
	"os"
	"path/filepath"

	"github.com/pkg/errors"
)

// writeOutput writes code to the file path so that path never holds
// half of it: the code goes to a temporary file next to the real one
// (next to a symlink's target), which is synced and renamed over it, so
// that a failed or killed run leaves the old file whole. The file keeps
// its mode (a new one is 0644). A path that exists and is not a regular
// file (/dev/stdout, a pipe) is written in place.
func writeOutput(path string, code []byte) error {
	fi, err := os.Stat(path)
	switch {
	case err == nil && !fi.Mode().IsRegular():
		if err := os.WriteFile(path, code, 0o644); err != nil {
			return errors.Wrap(err, "writing the generated code")
		}
		return nil
	case err != nil && !errors.Is(err, os.ErrNotExist):
		return errors.Wrap(err, "the output file")
	}
	target, mode := path, os.FileMode(0o644)
	if err == nil {
		mode = fi.Mode().Perm()
		if target, err = filepath.EvalSymlinks(path); err != nil {
			return errors.Wrap(err, "the output file")
		}
	}
	f, err := os.CreateTemp(filepath.Dir(target), "."+filepath.Base(target)+".*.tmp")
	if err != nil {
		return errors.Wrapf(err, "writing the generated code to %s", path)
	}
	tmp := f.Name()
	err = func() error {
		defer f.Close()
		if _, err := f.Write(code); err != nil {
			return err
		}
		if err := f.Chmod(mode); err != nil {
			return err
		}
		if err := f.Sync(); err != nil {
			return err
		}
		return f.Close()
	}()
	if err == nil {
		err = os.Rename(tmp, target)
	}
	if err != nil {
		_ = os.Remove(tmp)
		return errors.Wrapf(err, "writing the generated code to %s", path)
	}
	return nil
}
