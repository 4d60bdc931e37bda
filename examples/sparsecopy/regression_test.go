package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestSparsecopyOntoItself: copying a file onto itself (by the same name,
// a hard link or a symbolic link) is refused, and the file keeps its
// content, as cp refuses it.
//
// Found in review: Copy opened DST with O_TRUNC after opening SRC, so a
// copy onto the same file emptied it first and then "copied" nothing.
func TestSparsecopyOntoItself(t *testing.T) {
	dir := t.TempDir()
	src := filepath.Join(dir, "src")
	want := bytes.Repeat([]byte("actorio"), 1000)
	if err := os.WriteFile(src, want, 0o644); err != nil {
		t.Fatal(err)
	}
	hard, sym := filepath.Join(dir, "hard"), filepath.Join(dir, "sym")
	if err := os.Link(src, hard); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(src, sym); err != nil {
		t.Fatal(err)
	}
	for _, dst := range []string{src, hard, sym} {
		var out, errb bytes.Buffer
		if code := run([]string{src, dst}, &out, &errb); code != 1 || !strings.Contains(errb.String(), "same file") {
			t.Errorf("copy onto %s: exit %d, %q; want exit 1 and a 'same file' error", filepath.Base(dst), code, errb.String())
		}
		got, err := os.ReadFile(src)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, want) {
			t.Fatalf("after a copy onto %s the file holds %d bytes, want its %d", filepath.Base(dst), len(got), len(want))
		}
	}
}

// TestSparsecopyToDevNull: a destination that is not a regular file
// (/dev/null) is written without being truncated, as O_TRUNC would have
// left it.
func TestSparsecopyToDevNull(t *testing.T) {
	src := filepath.Join(t.TempDir(), "src")
	if err := os.WriteFile(src, []byte("data"), 0o644); err != nil {
		t.Fatal(err)
	}
	var out, errb bytes.Buffer
	if code := run([]string{src, os.DevNull}, &out, &errb); code != 0 || !strings.Contains(out.String(), "data 4 bytes") {
		t.Fatalf("copy to %s: exit %d, %q %q", os.DevNull, code, out.String(), errb.String())
	}
}

// TestRemoteUploadKeepsServerMode: an upload onto a file the server
// already has keeps that file's permissions, as cp onto an existing file
// does; a new file gets 0644 (the mode does not travel).
//
// Found in review: the server wrote every upload to a 0644 temporary
// file and renamed it over the name, so a private 0600 file became
// world-readable when it was replaced.
func TestRemoteUploadKeepsServerMode(t *testing.T) {
	dir, local := t.TempDir(), t.TempDir()
	writeFile(t, filepath.Join(dir, "private"), "old", 0o600)
	src := filepath.Join(local, "src")
	writeFile(t, src, "new", 0o755)
	_, addr := server(t, dir, "127.0.0.1:0")
	for _, name := range []string{"private", "fresh"} {
		if code, stderr := copyProc(t, src, addr+":"+name); code != 0 {
			t.Fatalf("upload to %s: exit %d\n%s", name, code, stderr)
		}
		wantContent(t, filepath.Join(dir, name), "new")
	}
	if got := mode(t, filepath.Join(dir, "private")); got != 0o600 {
		t.Fatalf("the replaced file has mode %v, want its own 0600", got)
	}
	if got := mode(t, filepath.Join(dir, "fresh")); got != 0o644 {
		t.Fatalf("a new file has mode %v, want 0644", got)
	}
}
