package sockactor

// The real listener: the bind (with a unix socket file's mode and the
// replacement of a stale one) and the driver, a listening socket owned by
// one goroutine that serves one outstanding Accept at a time. Allowlisted
// in internal/detguard (io, go, channel, select, time).

import (
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"runtime"
	"sync"
	"syscall"
	"time"
)

// listenStream binds a stream listener (the network is checked).
func listenStream(network, addr string, cfg ListenConfig) (ListenEndpoint, error) {
	// An abstract socket ("@name", Linux) or an autobound one ("") has no
	// file to chmod: Mode is ignored (it used to fail the listen, found in
	// review).
	if network == "unix" && cfg.Mode != 0 && addr != "" && addr[0] != '@' {
		return listenUnixMode(addr, cfg.Mode)
	}
	l, err := net.Listen(network, addr)
	if err != nil && network == "unix" && errors.Is(err, syscall.EADDRINUSE) {
		if why := removeStaleSocket(addr); why == "" {
			l, err = net.Listen(network, addr)
		} else {
			err = errf("listen unix "+addr, syscall.EADDRINUSE, "%s %s: %w", addr, why, err)
		}
	}
	if err != nil {
		return nil, err
	}
	return newNetListener(l), nil
}

// listenUnixMode binds a unix listener whose socket file appears at path
// with mode already set. Binding at path and then chmodding it left the
// socket connectable with the umask's permissions in between (found in
// review), and changing the umask would be process-wide. So the socket is
// bound in a fresh private directory (0700) next to path, where nobody
// else can reach it, chmodded there, then hard-linked to path (link(2)
// never replaces an existing file, unlike rename(2): a live listener's
// path is not taken over) and its private name and directory removed. A
// stale socket file at path is replaced as by a plain bind.
func listenUnixMode(path string, mode os.FileMode) (ep ListenEndpoint, err error) {
	fail := func(what string, err error) (ListenEndpoint, error) {
		errno := Errno(err)
		if errno == 0 {
			errno = syscall.EINVAL
		}
		return nil, &Error{Op: "listen unix " + path, Errno: errno, Err: fmt.Errorf("%s: %w", what, err)}
	}
	dir, err := os.MkdirTemp(filepath.Dir(path), ".s")
	if err != nil {
		return fail("cannot create a private directory next to it to bind in (with a mode)", err)
	}
	defer func() {
		if rerr := os.RemoveAll(dir); rerr != nil && err == nil {
			ep.Close()
			ep, err = fail("cannot remove the private directory it was bound in", rerr)
		}
	}()
	private := filepath.Join(dir, "s")
	bindAt := private
	if max := len(syscall.RawSockaddrUnix{}.Path); len(private) > max {
		// The directory's name made the path too long for a socket
		// address: on Linux, bind through a descriptor of the directory.
		if runtime.GOOS != "linux" {
			return fail(fmt.Sprintf("with a mode, the socket is bound first at %s, %d bytes, over the %d a unix socket address holds (use a shorter path)", private, len(private), max), syscall.EINVAL)
		}
		d, err := os.Open(dir)
		if err != nil {
			return fail("cannot open the private directory to bind in", err)
		}
		defer d.Close()
		bindAt = fmt.Sprintf("/proc/self/fd/%d/s", d.Fd())
	}
	l, err := net.ListenUnix("unix", &net.UnixAddr{Name: bindAt, Net: "unix"})
	if err != nil {
		return fail("bind", err)
	}
	l.SetUnlinkOnClose(false) // its name is path now, removed by Close
	if err := os.Chmod(private, mode); err != nil {
		l.Close()
		return fail(fmt.Sprintf("cannot set mode %v", mode), err)
	}
	err = os.Link(private, path)
	if errors.Is(err, os.ErrExist) {
		if why := removeStaleSocket(path); why != "" {
			l.Close()
			return nil, errf("listen unix "+path, syscall.EADDRINUSE, "%s %s: %w", path, why, err)
		}
		err = os.Link(private, path)
	}
	if err != nil {
		l.Close()
		return fail("cannot link the socket to its path", err)
	}
	fi, err := os.Lstat(path)
	if err != nil {
		l.Close()
		return fail("cannot check the socket file", err)
	}
	n := newNetListener(l)
	n.addr = &net.UnixAddr{Name: path, Net: "unix"}
	n.file = fi
	return n, nil
}

// removeStaleSocket removes the unix socket file at path if nobody
// listens on it (a connect is refused): one a listener that died left
// behind, which would fail every later bind with EADDRINUSE. A file that
// is not a socket, an abstract name, or a socket that answers (or fails
// otherwise) is left alone. It returns "" if it removed the file, else
// why not, for the error.
func removeStaleSocket(path string) (why string) {
	if path == "" || path[0] == '@' {
		return "is an abstract name in use"
	}
	fi, err := os.Lstat(path)
	switch {
	case err != nil:
		return fmt.Sprintf("could not be checked (%v)", err)
	case fi.Mode()&os.ModeSocket == 0:
		return "exists and is not a socket"
	}
	c, err := net.Dial("unix", path)
	switch {
	case err == nil:
		c.Close()
		return "is in use by a live listener"
	case !errors.Is(err, syscall.ECONNREFUSED):
		return fmt.Sprintf("could not be checked for a live listener (%v)", err)
	}
	if err := os.Remove(path); err != nil {
		return fmt.Sprintf("was left by a listener that is gone but could not be removed (%v)", err)
	}
	return ""
}

// An accept that failed but did not end the listener (lack of
// descriptors, buffers or memory, a network error pending on the new
// connection, ...) tends to fail again at once: the driver waits before
// it tries again, from acceptBackoffMin doubling to acceptBackoffMax, as
// net/http's server does, instead of spinning (each failure is still
// reported). A success resets the pause. A permanent failure
// (permanentAcceptError) ends the accept goroutine.
const (
	acceptBackoffMin = 5 * time.Millisecond
	acceptBackoffMax = time.Second
)

type netListener struct {
	l       net.Listener
	addr    net.Addr    // the address to report, when not l's (listenUnixMode)
	file    os.FileInfo // the socket file Close removes, when l does not (listenUnixMode)
	sink    Sink
	accepts chan struct{}
	quit    chan struct{}
	wg      sync.WaitGroup
	start   sync.Once
	close   sync.Once
	// wait pauses the accept goroutine for d before it accepts again; false
	// if the listener was closed meanwhile. A field so that a test can
	// count the pauses instead of taking them.
	wait func(d time.Duration) bool
}

func newNetListener(l net.Listener) *netListener {
	n := &netListener{l: l, accepts: make(chan struct{}, 1), quit: make(chan struct{})}
	n.wait = n.sleep
	return n
}

// sleep waits d on the wall clock, or until Close (false).
func (n *netListener) sleep(d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-n.quit:
		return false
	}
}

// Start implements ListenEndpoint.
func (n *netListener) Start(sink Sink) {
	n.start.Do(func() {
		n.sink = sink
		n.wg.Add(1)
		go n.loop()
	})
}

func (n *netListener) loop() {
	defer n.wg.Done()
	var backoff time.Duration // > 0: the last accept failed
	for {
		select {
		case <-n.accepts:
		case <-n.quit:
			return
		}
		if backoff > 0 && !n.wait(backoff) {
			return
		}
		conn, err := n.l.Accept()
		if err != nil {
			select {
			case <-n.quit:
				return
			default:
			}
			n.sink(&EvAccepted{Err: err})
			if permanentAcceptError(err) {
				return // the listener actor stops on it
			}
			backoff = min(max(2*backoff, acceptBackoffMin), acceptBackoffMax)
			continue
		}
		backoff = 0
		n.sink(&EvAccepted{Stream: newNetStream(conn)})
	}
}

// Accept implements ListenEndpoint.
func (n *netListener) Accept() {
	select {
	case n.accepts <- struct{}{}:
	default:
	}
}

// Close implements ListenEndpoint.
func (n *netListener) Close() {
	n.close.Do(func() {
		close(n.quit)
		n.l.Close()
		n.removeFile()
		go func() {
			n.wg.Wait()
			if n.sink != nil {
				n.sink(&EvClosed{})
			}
		}()
	})
}

// removeFile removes the socket file of a listener bound by
// listenUnixMode, if it is still the one at its path (another listener
// may have replaced it as stale since).
func (n *netListener) removeFile() {
	if n.file == nil {
		return
	}
	path := n.addr.String()
	if fi, err := os.Lstat(path); err == nil && os.SameFile(fi, n.file) {
		_ = os.Remove(path)
	}
}

// Addr implements ListenEndpoint.
func (n *netListener) Addr() net.Addr {
	if n.addr != nil {
		return n.addr
	}
	return n.l.Addr()
}
