package childproc_test

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/actorio/actorio/internal/childproc"
	"go.uber.org/goleak"
)

const modeEnv = "CHILDPROC_TEST_MODE"

// TestMain is also the child: with modeEnv set it plays one of the modes
// below instead of running tests.
func TestMain(m *testing.M) {
	switch os.Getenv(modeEnv) {
	case "":
		goleak.VerifyTestMain(m)
	case "echo": // greet, echo stdin lines, end at EOF
		fmt.Println("HELLO")
		sc := bufio.NewScanner(os.Stdin)
		for sc.Scan() {
			fmt.Println("GOT " + sc.Text())
		}
		os.Exit(0)
	case "exit3":
		fmt.Println("A")
		fmt.Println("B")
		fmt.Fprintln(os.Stderr, "oops")
		os.Exit(3)
	case "error":
		fmt.Println("ERROR it broke")
		os.Exit(1)
	case "hang":
		fmt.Println("HANGING")
		time.Sleep(time.Hour)
	case "long": // a line longer than any scanner buffer, then more
		fmt.Println(strings.Repeat("x", 3<<20))
		fmt.Println("AFTER")
		_, _ = io.Copy(io.Discard, os.Stdin)
		os.Exit(0)
	case "late-stderr": // stdout ends first; the reason comes after
		os.Stdout.Close()
		time.Sleep(300 * time.Millisecond)
		fmt.Fprintln(os.Stderr, "panic: the reason, written late")
		os.Exit(4)
	case "close-stdout-hang":
		os.Stdout.Close()
		time.Sleep(time.Hour)
	case "bg-stop", "bg-exit": // see regression_test.go
		bgShell(os.Getenv(modeEnv))
	}
}

func TestLinesAndStdin(t *testing.T) {
	p := childproc.Start(t, nil, modeEnv+"=echo")
	if l, ok := p.Next(t, time.Minute); !ok || l != "HELLO" {
		t.Fatalf("first line %q %v", l, ok)
	}
	p.Send(t, "one")
	p.Send(t, "two")
	if l := p.Until(t, "GOT t", time.Minute); l != "GOT two" {
		t.Fatalf("Until: %q", l)
	}
	if l := p.Find(t, "GOT o", time.Minute); l != "GOT one" {
		t.Fatalf("Find searched from the start: %q", l)
	}
	p.Stop()
	if code := p.Wait(t, time.Minute); code != 0 {
		t.Fatalf("exit %d after stdin closed", code)
	}
	if _, ok := p.Next(t, time.Minute); ok {
		t.Fatalf("a line after the end")
	}
}

func TestExitCodeAndStderr(t *testing.T) {
	p := childproc.Start(t, nil, modeEnv+"=exit3")
	if code := p.Wait(t, time.Minute); code != 3 {
		t.Fatalf("exit %d, want 3", code)
	}
	if !strings.Contains(p.Stderr(), "oops") {
		t.Fatalf("stderr %q", p.Stderr())
	}
	var lines []string
	for {
		l, ok := p.Next(t, time.Minute)
		if !ok {
			break
		}
		lines = append(lines, l)
	}
	if strings.Join(lines, ",") != "A,B" {
		t.Fatalf("lines %v", lines)
	}
	if p.Exited().IsZero() {
		t.Fatalf("no exit time")
	}
}

func TestKill(t *testing.T) {
	p := childproc.Start(t, nil, modeEnv+"=hang")
	p.Until(t, "HANGING", time.Minute)
	start := time.Now()
	p.Kill(t)
	if code := p.Wait(t, time.Minute); code == 0 {
		t.Fatalf("a killed child exited 0")
	}
	if p.Exited().Before(start) {
		t.Fatalf("exit time %v before the kill at %v", p.Exited(), start)
	}
	p.Kill(t) // killing an exited child is not an error
}

// Until stops at an ERROR line: checked in a child test that must fail.
func TestUntilFailsOnError(t *testing.T) {
	if os.Getenv("CHILDPROC_TEST_INNER") == "1" {
		p := childproc.Start(t, nil, modeEnv+"=error")
		p.Until(t, "READY", time.Minute)
		return
	}
	p := childproc.Start(t, []string{"-test.run=^TestUntilFailsOnError$"}, "CHILDPROC_TEST_INNER=1")
	if code := p.Wait(t, time.Minute); code == 0 {
		t.Fatalf("Until passed over an ERROR line")
	}
	out := p.Find(t, "", time.Minute)
	all := out + p.Stderr()
	for {
		l, ok := p.Next(t, time.Minute)
		if !ok {
			break
		}
		all += "\n" + l
	}
	if !strings.Contains(all, "ERROR it broke") {
		t.Fatalf("the failure does not show the child's ERROR line:\n%s", all)
	}
}

// inner runs test in a child test process with CHILDPROC_TEST_INNER=1 and
// returns all it printed once it exits (within timeout).
func inner(t *testing.T, test string, timeout time.Duration) (code int, output string) {
	t.Helper()
	p := childproc.Start(t, []string{"-test.run=^" + test + "$"}, "CHILDPROC_TEST_INNER=1")
	code = p.Wait(t, timeout)
	for {
		l, ok := p.Next(t, time.Minute)
		if !ok {
			break
		}
		output += l + "\n"
	}
	return code, output + p.Stderr()
}

// TestLongLine: a line of several MiB is read whole, and the lines after
// it too; a scanner's limit used to end the child's output there.
func TestLongLine(t *testing.T) {
	p := childproc.Start(t, nil, modeEnv+"=long")
	if l, ok := p.Next(t, time.Minute); !ok || len(l) != 3<<20 {
		t.Fatalf("long line: %d bytes, %v", len(l), ok)
	}
	if l := p.Until(t, "AFTER", time.Minute); l != "AFTER" {
		t.Fatalf("Until: %q", l)
	}
}

// TestEarlyExitShowsStderr: when a child's stdout ends before the line a
// test waits for, the failure shows its stderr and exit code. It showed
// the stderr read so far, often none: stdout and stderr are separate
// pipes, and the child's last words (a panic) come after stdout's end.
func TestEarlyExitShowsStderr(t *testing.T) {
	if os.Getenv("CHILDPROC_TEST_INNER") == "1" {
		p := childproc.Start(t, nil, modeEnv+"=late-stderr")
		p.Until(t, "READY", time.Minute)
		return
	}
	code, out := inner(t, "TestEarlyExitShowsStderr", time.Minute)
	if code == 0 || !strings.Contains(out, "panic: the reason, written late") || !strings.Contains(out, "exited 4") {
		t.Fatalf("exit %d; the failure does not show the child's last words and exit code:\n%s", code, out)
	}
}

// TestFindTimesOutAfterStdoutEnds: Find fails in its time when the child
// closes its stdout and keeps running; it waited for the child to exit,
// past any timeout.
func TestFindTimesOutAfterStdoutEnds(t *testing.T) {
	if os.Getenv("CHILDPROC_TEST_INNER") == "1" {
		p := childproc.Start(t, nil, modeEnv+"=close-stdout-hang")
		t.Cleanup(func() { _ = p.Process().Kill() }) // it ignores stdin: do not wait StopWait
		p.Find(t, "READY", time.Second)
		return
	}
	start := time.Now()
	code, out := inner(t, "TestFindTimesOutAfterStdoutEnds", 40*time.Second)
	if code == 0 || !strings.Contains(out, "still running") {
		t.Fatalf("exit %d after %v:\n%s", code, time.Since(start), out)
	}
}

// TestChildDiesWithItsParent: a child that ignores its stdin dies with
// the test process that started it, when that process dies without
// stopping it (a test timeout, a panic in another goroutine): it was
// left running for good.
func TestChildDiesWithItsParent(t *testing.T) {
	if os.Getenv("CHILDPROC_TEST_INNER") == "1" {
		p := childproc.Start(t, nil, modeEnv+"=hang")
		p.Until(t, "HANGING", time.Minute)
		fmt.Printf("GRANDCHILD %d\n", p.Process().Pid)
		time.Sleep(time.Hour)
		return
	}
	parent := childproc.Start(t, []string{"-test.run=^TestChildDiesWithItsParent$"}, "CHILDPROC_TEST_INNER=1")
	pid, err := strconv.Atoi(strings.TrimPrefix(parent.Until(t, "GRANDCHILD ", time.Minute), "GRANDCHILD "))
	if err != nil {
		t.Fatal(err)
	}
	parent.Kill(t)
	parent.Wait(t, time.Minute)
	// Reparented, the grandchild may stay a zombie if nothing reaps it:
	// that is dead too.
	alive := func() bool {
		stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
		if err != nil {
			return false
		}
		f := strings.Fields(string(stat[strings.LastIndexByte(string(stat), ')')+1:]))
		return len(f) > 0 && f[0] != "Z" && f[0] != "X"
	}
	for deadline := time.Now().Add(10 * time.Second); alive() && time.Now().Before(deadline); {
		time.Sleep(20 * time.Millisecond)
	}
	if alive() {
		_ = syscall.Kill(pid, syscall.SIGKILL)
		t.Fatalf("the child %d outlived the test process that started it", pid)
	}
}
