package childproc_test

import (
	"fmt"
	"os"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/actorio/actorio/internal/childproc"
)

// bgShell becomes a shell that starts a background sleep holding its
// stdout (and stderr), prints the sleep's pid, and then either waits for
// its stdin to end ("bg-stop") or exits at once ("bg-exit").
func bgShell(mode string) {
	script := "sleep 1000 & echo $!; "
	if mode == "bg-stop" {
		script += "read x; "
	}
	script += "exit 0"
	err := syscall.Exec("/bin/sh", []string{"sh", "-c", script}, os.Environ())
	fmt.Fprintln(os.Stderr, "exec /bin/sh:", err)
	os.Exit(1)
}

// grandchild reads the background pid the child printed and makes sure
// it is killed when the test ends, whatever happened.
func grandchild(t *testing.T, p *childproc.Proc) int {
	t.Helper()
	l, ok := p.Next(t, time.Minute)
	if !ok {
		t.Fatalf("no pid on stdout; stderr:\n%s", p.Stderr())
	}
	pid, err := strconv.Atoi(l)
	if err != nil || pid <= 0 {
		t.Fatalf("pid line %q: %v", l, err)
	}
	t.Cleanup(func() { _ = syscall.Kill(pid, syscall.SIGKILL) })
	return pid
}

// gone reports whether pid has ended: it does not exist (kill -0 fails)
// or is a zombie waiting for whoever inherited it to reap it.
func gone(pid int) bool {
	if syscall.Kill(pid, 0) != nil {
		return true
	}
	stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return true
	}
	f := strings.Fields(string(stat[strings.LastIndexByte(string(stat), ')')+1:]))
	return len(f) > 0 && (f[0] == "Z" || f[0] == "X")
}

// waitGone fails the test unless pid ends within a generous bound (it is
// killed, then reaped by whoever inherited it).
func waitGone(t *testing.T, pid int, what string) {
	t.Helper()
	for deadline := time.Now().Add(30 * time.Second); !gone(pid) && time.Now().Before(deadline); {
		time.Sleep(20 * time.Millisecond)
	}
	if !gone(pid) {
		t.Fatalf("%s: the background process %d the child started is still running", what, pid)
	}
}

// TestStopWithBackgroundGrandchild: a child whose own background process
// keeps its stdout open is stopped, waited for, and its background
// process killed. Stop and Wait used to wait for the pipe to close, for
// ever.
func TestStopWithBackgroundGrandchild(t *testing.T) {
	p := childproc.Start(t, nil, modeEnv+"=bg-stop")
	pid := grandchild(t, p)
	stopped := make(chan struct{})
	go func() {
		defer close(stopped)
		p.Stop()
	}()
	select {
	case <-stopped:
	case <-time.After(time.Minute):
		_ = syscall.Kill(pid, syscall.SIGKILL) // lets the hung Stop end
		<-stopped
		t.Fatalf("Stop did not return in a minute while the child's background process held its stdout")
	}
	if code := p.Wait(t, time.Minute); code != 0 {
		t.Fatalf("exit %d, want 0 (the shell exits 0 when its stdin ends); stderr:\n%s", code, p.Stderr())
	}
	waitGone(t, pid, "after Stop")
}

// TestWaitWithBackgroundGrandchild: a child that exits on its own while
// its background process keeps stdout open is seen to exit, with its
// exit code; Stop then kills what it left behind.
func TestWaitWithBackgroundGrandchild(t *testing.T) {
	p := childproc.Start(t, nil, modeEnv+"=bg-exit")
	pid := grandchild(t, p)
	if code := p.Wait(t, 30*time.Second); code != 0 {
		t.Fatalf("exit %d, want 0; stderr:\n%s", code, p.Stderr())
	}
	p.Stop()
	waitGone(t, pid, "after Wait and Stop")
}
