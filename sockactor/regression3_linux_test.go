//go:build linux

package sockactor_test

import (
	"bytes"
	"encoding/binary"
	"errors"
	"net"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/actorio/actorio/sockactor"
)

// inotifyEvents watches dir and returns a function that reads the events
// queued so far (name, mask), in order.
func inotifyEvents(t *testing.T, dir string) func() [][2]any {
	t.Helper()
	fd, err := syscall.InotifyInit1(syscall.IN_NONBLOCK | syscall.IN_CLOEXEC)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { syscall.Close(fd) })
	if _, err := syscall.InotifyAddWatch(fd, dir, syscall.IN_CREATE|syscall.IN_ATTRIB|syscall.IN_MOVED_TO); err != nil {
		t.Fatal(err)
	}
	return func() (evs [][2]any) {
		buf := make([]byte, 64<<10)
		for {
			n, err := syscall.Read(fd, buf)
			if errors.Is(err, syscall.EAGAIN) {
				return evs
			}
			if err != nil {
				t.Fatal(err)
			}
			for off := 0; off+syscall.SizeofInotifyEvent <= n; {
				mask := binary.NativeEndian.Uint32(buf[off+4:])
				l := int(binary.NativeEndian.Uint32(buf[off+12:]))
				name := string(bytes.TrimRight(buf[off+syscall.SizeofInotifyEvent:off+syscall.SizeofInotifyEvent+l], "\x00"))
				evs = append(evs, [2]any{name, mask})
				off += syscall.SizeofInotifyEvent + l
			}
		}
	}
}

// TestListenWithModeNeverWider: WithMode chmodded the unix socket file
// after the bind, so for a moment the socket sat at its path with the
// umask's permissions (0775 under a umask of 002, 0777 under 0: connect
// needs write permission on the file) and another local user could
// connect in that window. The socket file must
// appear at its path with its mode already set: the directory watch sees
// it created, and never changes its attributes afterwards (the old code's
// chmod showed as IN_ATTRIB on the final name). No private directory is
// left behind, the mode is the one asked, the listener is connectable, and
// Close removes the file.
func TestListenWithModeNeverWider(t *testing.T) {
	sys, ctx := realSys(t)
	dir := t.TempDir()
	p := filepath.Join(dir, "s.sock")
	events := inotifyEvents(t, dir)
	l, err := sockactor.Listen(sys, sockactor.RealTransport(), "unix", p, sockactor.WithMode(sockactor.ListenConfig{Mode: 0o600}))
	if err != nil {
		t.Fatal(err)
	}
	created := false
	for _, ev := range events() {
		name, mask := ev[0].(string), ev[1].(uint32)
		if name != "s.sock" {
			continue
		}
		if mask&(syscall.IN_CREATE|syscall.IN_MOVED_TO) != 0 {
			created = true
		}
		if mask&syscall.IN_ATTRIB != 0 {
			t.Fatalf("the socket file's mode was changed after it appeared at %s: it was reachable with the umask's permissions first", p)
		}
	}
	if !created {
		t.Fatalf("no creation of %s seen", p)
	}
	fi, err := os.Lstat(p)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode()&os.ModeSocket == 0 || fi.Mode().Perm() != 0o600 {
		t.Fatalf("%s: mode %v, want a socket with 0600", p, fi.Mode())
	}
	if ents, _ := os.ReadDir(dir); len(ents) != 1 {
		t.Fatalf("%s holds %d entries, want only the socket (the private bind directory must be gone): %v", dir, len(ents), ents)
	}
	if got := l.Addr().String(); got != p {
		t.Fatalf("Addr() = %q, want %q", got, p)
	}
	acc := l.Accept()
	c, err := sockactor.Dial(ctx, sys, sockactor.RealTransport(), "unix", p)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	s, err := acc.Wait(ctx)
	if err != nil {
		t.Fatal(err)
	}
	s.Close()
	l.Close()
	if err := l.WaitStopped(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Lstat(p); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("after Close, %s: %v, want it removed", p, err)
	}
}

// TestListenWithModeKeepsPathRules: binding through a private directory
// keeps what a plain unix Listen does with the path: a socket file left by
// a dead listener is replaced, a live listener's path or a file that is
// not a socket is EADDRINUSE (and left alone: link(2), unlike rename(2),
// never replaces it), a directory that does not exist is ENOENT; and no
// private directory is left behind in any case.
func TestListenWithModeKeepsPathRules(t *testing.T) {
	sys, ctx := realSys(t)
	dir := t.TempDir()
	mode := sockactor.WithMode(sockactor.ListenConfig{Mode: 0o600})
	onlyThese := func(names ...string) {
		t.Helper()
		ents, err := os.ReadDir(dir)
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, e := range ents {
			got = append(got, e.Name())
		}
		if len(got) != len(names) {
			t.Fatalf("%s holds %v, want %v (a private bind directory left behind?)", dir, got, names)
		}
	}
	p := filepath.Join(dir, "s.sock")
	stale, err := net.ListenUnix("unix", &net.UnixAddr{Name: p, Net: "unix"})
	if err != nil {
		t.Fatal(err)
	}
	stale.SetUnlinkOnClose(false)
	stale.Close()
	l, err := sockactor.Listen(sys, sockactor.RealTransport(), "unix", p, mode)
	if err != nil {
		t.Fatalf("listen with a mode on a stale socket file: %v", err)
	}
	defer l.Close()
	if fi, err := os.Lstat(p); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("%s after replacing the stale socket: %v, %v", p, fi, err)
	}
	c, err := sockactor.Dial(ctx, sys, sockactor.RealTransport(), "unix", p)
	if err != nil {
		t.Fatalf("dial the listener that replaced the stale socket: %v", err)
	}
	c.Close()
	onlyThese("s.sock")

	if _, err := sockactor.Listen(sys, sockactor.RealTransport(), "unix", p, mode); !errors.Is(err, syscall.EADDRINUSE) || !strings.Contains(err.Error(), "live listener") {
		t.Fatalf("listen with a mode on a live listener's path: %v, want EADDRINUSE saying why", err)
	}
	onlyThese("s.sock")
	f := filepath.Join(dir, "file")
	if err := os.WriteFile(f, []byte("keep"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := sockactor.Listen(sys, sockactor.RealTransport(), "unix", f, mode); !errors.Is(err, syscall.EADDRINUSE) || !strings.Contains(err.Error(), "not a socket") {
		t.Fatalf("listen with a mode on a regular file: %v, want EADDRINUSE saying why", err)
	}
	if b, err := os.ReadFile(f); err != nil || string(b) != "keep" {
		t.Fatalf("the regular file was touched: %q, %v", b, err)
	}
	onlyThese("file", "s.sock")
	for _, opts := range [][]sockactor.Option{nil, {mode}} {
		missing := filepath.Join(dir, "nodir", "s.sock")
		if _, err := sockactor.Listen(sys, sockactor.RealTransport(), "unix", missing, opts...); !errors.Is(err, syscall.ENOENT) || !strings.Contains(err.Error(), missing) {
			t.Fatalf("listen (%d options) in a directory that does not exist: %v, want ENOENT naming the path", len(opts), err)
		}
	}
	onlyThese("file", "s.sock")
}

// TestListenWithModeLongPath: a path that fits a unix socket address
// (108 bytes on Linux) but whose private bind name next to it would not
// (the directory's name adds a dozen bytes) must still listen with its
// mode (the private directory is reached through /proc/self/fd).
func TestListenWithModeLongPath(t *testing.T) {
	sys, ctx := realSys(t)
	dir := t.TempDir()
	long := filepath.Join(dir, strings.Repeat("d", 104-len(dir)-3))
	if err := os.Mkdir(long, 0o755); err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(long, "s")
	l, err := sockactor.Listen(sys, sockactor.RealTransport(), "unix", p, sockactor.WithMode(sockactor.ListenConfig{Mode: 0o600}))
	if err != nil {
		t.Fatalf("listen with a mode at a %d-byte path: %v", len(p), err)
	}
	defer l.Close()
	if fi, err := os.Lstat(p); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("%s: %v, %v", p, fi, err)
	}
	if ents, _ := os.ReadDir(long); len(ents) != 1 {
		t.Fatalf("%s holds %v, want only the socket", long, ents)
	}
	c, err := sockactor.Dial(ctx, sys, sockactor.RealTransport(), "unix", p)
	if err != nil {
		t.Fatal(err)
	}
	c.Close()
}
