// Package childproc runs the test binary again as a child process, for
// tests that need a second OS process: protoactor's remote allows one node
// per process, and a peer that can be killed with SIGKILL is the honest
// test of a dead node. It is for tests only.
//
// The child is the same binary with an environment variable that its
// TestMain (or a hook in it) recognises; it talks to the test through its
// standard streams: lines on stdout (addresses, results), commands on
// stdin, logs on stderr. A child stops when its stdin closes.
package childproc

import (
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"
)

// StopWait is how long Stop waits for a child to exit after closing its
// stdin before it kills it.
const StopWait = 10 * time.Second

// exitWait is how long a failure waits for a child whose stdout ended to
// exit, so that it can show all of the child's stderr (its panic, say)
// and its exit code.
const exitWait = 5 * time.Second

// pipeWait is how long, once the child has exited, its stdout and stderr
// may stay open (held by a process the child started) before they are
// closed and the child counts as done.
const pipeWait = 2 * time.Second

// Proc is a running child process. Its stdout is read as it comes (so a
// chatty child never blocks on a full pipe) and kept: Next reads the
// lines in order, Find searches all of them.
type Proc struct {
	cmd    *exec.Cmd
	stdin  io.WriteCloser
	stdout *stdoutWriter

	mu     sync.Mutex
	out    []string      // stdout lines so far
	next   int           // the line Next returns next
	grew   chan struct{} // closed (and replaced) when a line arrives or stdout ends
	eof    bool
	errb   strings.Builder
	code   int
	exited time.Time

	done chan struct{} // closed once the child has exited and its streams are read
	stop sync.Once
}

// Start runs the test binary with args (nil: no tests, "-test.run=^$")
// and env added to this process's environment. The child is stopped (see
// Stop) when the test ends, and killed if this process dies first (a
// timeout, a panic outside the test's goroutine, os.Exit): a child that
// hangs is not left behind.
func Start(t testing.TB, args []string, env ...string) *Proc {
	t.Helper()
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	if args == nil {
		args = []string{"-test.run=^$"}
	}
	p := &Proc{cmd: exec.Command(exe, args...), grew: make(chan struct{}), done: make(chan struct{})}
	p.cmd.Env = append(os.Environ(), env...)
	p.stdout = &stdoutWriter{p: p}
	p.cmd.Stdout = p.stdout
	p.cmd.Stderr = stderrWriter{p}
	// A process the child starts may keep its stdout or stderr open after
	// the child has exited: the child is done pipeWait after it exits.
	p.cmd.WaitDelay = pipeWait
	setProcAttr(p.cmd)
	if p.stdin, err = p.cmd.StdinPipe(); err != nil {
		t.Fatal(err)
	}
	// The kernel signals the child when the thread that started it ends,
	// not the process (go.dev/issue/27505), and the Go runtime ends a
	// thread whose goroutine exits locked to it: the child is started from
	// a goroutine that keeps its thread, unshared, until the child has
	// exited.
	started := make(chan error)
	go func() {
		runtime.LockOSThread()
		err := p.cmd.Start()
		started <- err
		if err == nil {
			<-p.done
		}
		runtime.UnlockOSThread()
	}()
	if err := <-started; err != nil {
		t.Fatal(err)
	}
	go p.run()
	t.Cleanup(p.Stop)
	return p
}

// run waits for the child to exit and for its output, up to pipeWait
// after its exit (see Start), then ends its stdout and records its exit.
func (p *Proc) run() {
	err := p.cmd.Wait()
	p.stdout.end()
	p.mu.Lock()
	p.exited = time.Now()
	p.code = p.cmd.ProcessState.ExitCode()
	// ErrWaitDelay: the child exited as its code says, but left its
	// output open.
	if err != nil && !errors.Is(err, exec.ErrWaitDelay) && p.code == 0 {
		p.code = -1
	}
	p.mu.Unlock()
	close(p.done)
}

// ended describes a child whose stdout ended, for a failure: it waits up
// to exitWait, and not past deadline, for the child to exit, so that its
// stderr is all there (stdout and stderr are separate pipes: the end of
// one says nothing of the other), and gives its exit code and stderr.
func (p *Proc) ended(deadline time.Time) string {
	wait := max(min(exitWait, time.Until(deadline)), 0)
	select {
	case <-p.done:
		return fmt.Sprintf("exited %d; stderr:\n%s", p.code, p.Stderr())
	case <-time.After(wait):
		return fmt.Sprintf("closed its stdout but is still running; stderr so far:\n%s", p.Stderr())
	}
}

// wake tells waiting readers that stdout changed (p.mu held).
func (p *Proc) wake() {
	close(p.grew)
	p.grew = make(chan struct{})
}

type stderrWriter struct{ p *Proc }

func (w stderrWriter) Write(b []byte) (int, error) {
	w.p.mu.Lock()
	defer w.p.mu.Unlock()
	return w.p.errb.Write(b)
}

// Stderr returns what the child wrote to stderr so far.
func (p *Proc) Stderr() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.errb.String()
}

// Args returns the child's arguments (without the program).
func (p *Proc) Args() []string { return p.cmd.Args[1:] }

// Next returns the next stdout line, waiting up to timeout; ok is false
// when stdout ended first. It fails the test on timeout.
func (p *Proc) Next(t testing.TB, timeout time.Duration) (line string, ok bool) {
	t.Helper()
	deadline := time.After(timeout)
	for {
		p.mu.Lock()
		if p.next < len(p.out) {
			line = p.out[p.next]
			p.next++
			p.mu.Unlock()
			return line, true
		}
		if p.eof {
			p.mu.Unlock()
			return "", false
		}
		grew := p.grew
		p.mu.Unlock()
		select {
		case <-grew:
		case <-deadline:
			t.Fatalf("child %v: no line on stdout in %v; stderr:\n%s", p.Args(), timeout, p.Stderr())
		}
	}
}

// Until reads stdout lines (as Next) until one starts with prefix (any
// line for "") and returns it. It fails the test when stdout ends, on
// timeout, or at a line starting with "ERROR" (unless prefix asks for
// one).
func (p *Proc) Until(t testing.TB, prefix string, timeout time.Duration) string {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		l, ok := p.Next(t, time.Until(deadline))
		switch {
		case !ok:
			t.Fatalf("child %v ended its output before a line %q: %s", p.Args(), prefix, p.ended(deadline))
		case strings.HasPrefix(l, "ERROR") && !strings.HasPrefix(prefix, "ERROR"):
			t.Fatalf("child %v: %s\nstderr:\n%s", p.Args(), l, p.Stderr())
		case strings.HasPrefix(l, prefix):
			return l
		}
	}
}

// Find returns the first stdout line, read so far or later, that starts
// with prefix, waiting up to timeout; it does not move Next. It fails the
// test when the child exits or the time runs out first.
func (p *Proc) Find(t testing.TB, prefix string, timeout time.Duration) string {
	t.Helper()
	deadline := time.Now().Add(timeout)
	expired := time.After(timeout)
	seen := 0
	for {
		p.mu.Lock()
		for ; seen < len(p.out); seen++ {
			if strings.HasPrefix(p.out[seen], prefix) {
				l := p.out[seen]
				p.mu.Unlock()
				return l
			}
		}
		eof, grew := p.eof, p.grew
		p.mu.Unlock()
		if eof {
			t.Fatalf("child %v ended its output before printing %q: %s", p.Args(), prefix, p.ended(deadline))
		}
		select {
		case <-grew:
		case <-expired:
			t.Fatalf("child %v printed no %q in %v; stderr:\n%s", p.Args(), prefix, timeout, p.Stderr())
		}
	}
}

// Send writes line and a newline to the child's stdin.
func (p *Proc) Send(t testing.TB, line string) {
	t.Helper()
	if _, err := io.WriteString(p.stdin, line+"\n"); err != nil {
		t.Fatal(err)
	}
}

// Wait waits up to timeout for the child to exit and returns its exit
// code (-1 when it was killed or could not be waited for). It fails the
// test on timeout.
func (p *Proc) Wait(t testing.TB, timeout time.Duration) int {
	t.Helper()
	select {
	case <-p.done:
	case <-time.After(timeout):
		t.Fatalf("child %v did not exit in %v", p.Args(), timeout)
	}
	return p.code
}

// Done is closed once the child has exited (and its output is read).
func (p *Proc) Done() <-chan struct{} { return p.done }

// Exited returns when the child was seen to exit (zero before).
func (p *Proc) Exited() time.Time {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.exited
}

// Process returns the child's process, to signal it.
func (p *Proc) Process() *os.Process { return p.cmd.Process }

// Kill kills the child as kill -9 would; it does not wait.
func (p *Proc) Kill(t testing.TB) {
	t.Helper()
	if err := p.cmd.Process.Kill(); err != nil {
		select {
		case <-p.done: // it had exited already
		default:
			t.Fatal(err)
		}
	}
}

// Stop closes the child's stdin, which asks it to end, and waits for it;
// after StopWait it kills it. Either way it then kills what the child
// left running in its process group (on unix): a background process of
// its own, say, that kept its output open. Later calls do nothing.
func (p *Proc) Stop() {
	p.stop.Do(func() {
		_ = p.stdin.Close()
		select {
		case <-p.done:
		case <-time.After(StopWait):
			killGroup(p.cmd.Process)
			<-p.done
		}
		killGroup(p.cmd.Process)
	})
}
