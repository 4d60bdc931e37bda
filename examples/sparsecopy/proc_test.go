package main

// The cross-process tests run sparsecopy as real processes: this test
// binary, run again with SPARSECOPY_MAIN set, is the command itself
// (TestMain calls run with its arguments). Each process runs one node,
// as protoactor remote requires.

import (
	"bufio"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"
)

const mainEnv = "SPARSECOPY_MAIN"

// proc is a sparsecopy process.
type proc struct {
	cmd    *exec.Cmd
	mu     sync.Mutex
	out    []string // stdout lines so far
	errb   strings.Builder
	done   chan struct{}
	code   int
	exited time.Time
}

// startProc runs sparsecopy with args.
func startProc(t *testing.T, args ...string) *proc {
	t.Helper()
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	p := &proc{cmd: exec.Command(exe, args...), done: make(chan struct{})}
	p.cmd.Env = append(os.Environ(), mainEnv+"=1")
	stdout, err := p.cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	stderr, err := p.cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	var readers sync.WaitGroup
	readers.Add(2)
	go func() {
		defer readers.Done()
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			p.mu.Lock()
			p.out = append(p.out, sc.Text())
			p.mu.Unlock()
		}
	}()
	go func() {
		defer readers.Done()
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			p.mu.Lock()
			p.errb.WriteString(sc.Text() + "\n")
			p.mu.Unlock()
		}
	}()
	go func() {
		readers.Wait()
		err := p.cmd.Wait()
		p.mu.Lock()
		p.exited = time.Now()
		p.code = p.cmd.ProcessState.ExitCode()
		if err != nil && p.code == 0 {
			p.code = -1
		}
		p.mu.Unlock()
		close(p.done)
	}()
	t.Cleanup(func() {
		_ = p.cmd.Process.Kill()
		<-p.done
	})
	return p
}

// line waits for a stdout line starting with prefix and returns it.
func (p *proc) line(t *testing.T, prefix string) string {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for time.Now().Before(deadline) {
		p.mu.Lock()
		for _, l := range p.out {
			if strings.HasPrefix(l, prefix) {
				p.mu.Unlock()
				return l
			}
		}
		p.mu.Unlock()
		select {
		case <-p.done:
			t.Fatalf("sparsecopy %v exited %d before printing %q; stderr:\n%s", p.cmd.Args[1:], p.code, prefix, p.stderr())
		case <-time.After(10 * time.Millisecond):
		}
	}
	t.Fatalf("sparsecopy %v printed no %q", p.cmd.Args[1:], prefix)
	return ""
}

// wait waits for the process to exit and returns its exit code.
func (p *proc) wait(t *testing.T) int {
	t.Helper()
	select {
	case <-p.done:
	case <-time.After(5 * time.Minute):
		t.Fatalf("sparsecopy %v did not exit", p.cmd.Args[1:])
	}
	return p.code
}

func (p *proc) stderr() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.errb.String()
}

// server starts a server of dir on addr and returns it and its address.
func server(t *testing.T, dir, addr string, extra ...string) (*proc, string) {
	t.Helper()
	p := startProc(t, append([]string{"-listen", addr, "-root", dir}, extra...)...)
	l := p.line(t, "sparsecopy: serving ")
	fields := strings.Fields(l)
	for i, f := range fields {
		if f == "on" && i+1 < len(fields) {
			return p, fields[i+1]
		}
	}
	t.Fatalf("no address in %q", l)
	return nil, ""
}

// copyProc runs one sparsecopy client to its end.
func copyProc(t *testing.T, args ...string) (int, string) {
	t.Helper()
	p := startProc(t, args...)
	code := p.wait(t)
	return code, p.stderr()
}
