package main

// The cross-process tests run sparsecopy as real processes: this test
// binary, run again with SPARSECOPY_MAIN set, is the command itself
// (TestMain calls run with its arguments). Each process runs one node,
// as protoactor remote requires.

import (
	"strings"
	"testing"
	"time"

	"github.com/actorio/actorio/internal/childproc"
)

const mainEnv = "SPARSECOPY_MAIN"

// proc is a sparsecopy process.
type proc struct{ *childproc.Proc }

// startProc runs sparsecopy with args; it is killed when the test ends
// (a server runs until a signal).
func startProc(t *testing.T, args ...string) *proc {
	t.Helper()
	if args == nil {
		args = []string{} // sparsecopy's own (empty) arguments, not the test binary's default
	}
	p := &proc{childproc.Start(t, args, mainEnv+"=1")}
	t.Cleanup(func() {
		_ = p.Process().Kill()
		<-p.Done()
	})
	return p
}

// line waits for a stdout line starting with prefix and returns it.
func (p *proc) line(t *testing.T, prefix string) string {
	t.Helper()
	return p.Find(t, prefix, time.Minute)
}

// wait waits for the process to exit and returns its exit code.
func (p *proc) wait(t *testing.T) int {
	t.Helper()
	return p.Wait(t, 5*time.Minute)
}

func (p *proc) stderr() string { return p.Stderr() }

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
