package actors_test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/actorio/actorio/internal/detguard"
)

// TestDeterminismRules scans every package whose code runs inside actors
// (or drives the simulator) for the constructs DESIGN.md forbids there:
// goroutines, select, channels, wall-clock time, global randomness,
// protoactor futures with real timeouts, SetReceiveTimeout, the
// scheduler package, blocking mailboxes, real I/O, unsorted map
// iteration and the runtime's scheduling calls (Gosched, GC, finalizers).
// Calls are matched by what a name refers to, however it is spelled
// (aliases, dot imports, function values, embedded methods). Only the files in detguard.Allowed may use them, each for
// the stated reason. internal/detguard's own tests show that the scan
// catches planted violations of every rule.
func TestDeterminismRules(t *testing.T) {
	root, err := filepath.Abs("..")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(root, "go.mod")); err != nil {
		t.Fatalf("module root not found from %s: %v", root, err)
	}
	findings, err := detguard.CheckModule(root, detguard.ActorPackages, detguard.Allowed)
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range findings {
		t.Errorf("%v", f)
	}
	for path := range detguard.Allowed { //detguard:unordered test only checks each entry
		if _, err := os.Stat(filepath.Join(root, path)); err != nil {
			t.Errorf("allowlisted file %s does not exist: drop it from detguard.Allowed", path)
		}
	}
}
