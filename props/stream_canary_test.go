package props

import (
	"os"
	"os/exec"
	"strings"
	"testing"

	"pgregory.net/rapid"
)

// TestCoreMachineCanaryChild runs the core machine with a planted link
// fault when PROPS_CORE_CANARY says so (in a child process of
// TestCoreMachineCanaries); otherwise it does nothing.
func TestCoreMachineCanaryChild(t *testing.T) {
	c := os.Getenv("PROPS_CORE_CANARY")
	if c == "" {
		return
	}
	coreCanary = c
	rapid.Check(t, CheckCoreMachine)
}

// TestCoreMachineCanaries: with each planted fault (a duplicated, lost,
// corrupted or reordered segment) the machine fails, with the invariant
// it names: the checks can fail.
func TestCoreMachineCanaries(t *testing.T) {
	for _, c := range []string{"dup", "drop", "flip", "swap"} {
		cmd := exec.Command(os.Args[0], "-test.run=^TestCoreMachineCanaryChild$", "-test.count=1")
		cmd.Env = append(os.Environ(), "PROPS_CORE_CANARY="+c, "RAPID_CHECKS=500", "RAPID_NOFAILFILE=1", "RAPID_SHRINKTIME=2s")
		out, err := cmd.CombinedOutput()
		if err == nil {
			t.Errorf("canary %s: the machine passed with a broken link", c)
			continue
		}
		if !strings.Contains(string(out), "S1") && !strings.Contains(string(out), "S2") {
			t.Errorf("canary %s: failed without naming an invariant:\n%s", c, out)
		}
	}
}
