package main

import (
	"context"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// runOnce runs the example on sock and returns run's error, or nil once
// it served (it is then stopped).
func runOnce(t *testing.T, sock string) error {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	ready := make(chan string, 1)
	done := make(chan error, 1)
	go func() { done <- run(ctx, sock, "", func(a string) { ready <- a }) }()
	select {
	case <-ready:
		cancel()
		return <-done
	case err := <-done:
		return err
	}
}

// TestSocketPathIsNotASocket: a -socket path that names a regular file is
// refused, and the file is left as it was.
//
// Found in review: the example removed whatever the path named ("a stale
// socket from an earlier run"), a regular file included.
func TestSocketPathIsNotASocket(t *testing.T) {
	path := filepath.Join(t.TempDir(), "notes.txt")
	if err := os.WriteFile(path, []byte("keep me"), 0o600); err != nil {
		t.Fatal(err)
	}
	err := runOnce(t, path)
	if err == nil || !strings.Contains(err.Error(), "not a socket") {
		t.Fatalf("serving on a regular file: %v, want a 'not a socket' error", err)
	}
	if b, err := os.ReadFile(path); err != nil || string(b) != "keep me" {
		t.Fatalf("the file now holds %q (%v)", b, err)
	}
}

// TestSocketPathInUse: a -socket path another server listens on is
// refused, and that server keeps its socket.
//
// Found in review: the example removed the live socket and bound its own,
// silently taking the other server's clients.
func TestSocketPathInUse(t *testing.T) {
	path := filepath.Join(t.TempDir(), "qmp.sock")
	l, err := net.Listen("unix", path)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	err = runOnce(t, path)
	if err == nil || !strings.Contains(err.Error(), "in use") {
		t.Fatalf("serving on a live socket: %v, want an 'in use' error", err)
	}
	c, err := net.Dial("unix", path)
	if err != nil {
		t.Fatalf("the other server's socket is gone: %v", err)
	}
	c.Close()
}

// TestStaleSocketReplaced: a socket file nobody listens on any more (left
// by a server that died) is replaced.
func TestStaleSocketReplaced(t *testing.T) {
	path := filepath.Join(t.TempDir(), "qmp.sock")
	l, err := net.ListenUnix("unix", &net.UnixAddr{Name: path, Net: "unix"})
	if err != nil {
		t.Fatal(err)
	}
	l.SetUnlinkOnClose(false)
	l.Close()
	if err := runOnce(t, path); err != nil {
		t.Fatalf("serving over a stale socket: %v", err)
	}
}
