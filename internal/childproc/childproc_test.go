package childproc_test

import (
	"bufio"
	"fmt"
	"os"
	"strings"
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
