package detguard

import (
	"bufio"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// moduleRoot finds the directory holding go.mod.
func moduleRoot(t *testing.T) string {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatal("no go.mod above the test directory")
		}
		dir = parent
	}
}

// wanted reads the "want: rule" comments of a file: line → rule. A
// "want on the previous line: rule" comment is for a line that cannot
// carry a trailing comment (a compiler directive).
func wanted(t *testing.T, path string) map[int]string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	want := map[int]string{}
	sc := bufio.NewScanner(f)
	for line := 1; sc.Scan(); line++ {
		if _, after, ok := strings.Cut(sc.Text(), "// want: "); ok {
			want[line] = strings.TrimSpace(after)
		}
		if _, after, ok := strings.Cut(sc.Text(), "// want on the previous line: "); ok {
			want[line-1] = strings.TrimSpace(after)
		}
	}
	return want
}

// TestCatchesPlantedViolations proves the guard can fail: every planted
// violation is reported with its rule, and nothing else is.
func TestCatchesPlantedViolations(t *testing.T) {
	root := moduleRoot(t)
	const dir = "internal/detguard/testdata/planted"
	findings, err := CheckModule(root, []string{"./" + dir}, nil)
	if err != nil {
		t.Fatal(err)
	}
	want := wanted(t, filepath.Join(root, dir, "planted.go"))
	got := map[int]string{}
	for _, f := range findings {
		if prev, dup := got[f.Pos.Line]; dup && prev != f.Rule {
			t.Errorf("line %d: two rules, %s and %s", f.Pos.Line, prev, f.Rule)
		}
		got[f.Pos.Line] = f.Rule
		if want[f.Pos.Line] != f.Rule {
			t.Errorf("unexpected finding %v", f)
		}
	}
	for line, rule := range want {
		if got[line] != rule {
			t.Errorf("line %d: want a %q finding, got %q", line, rule, got[line])
		}
	}
	if len(want) < 20 {
		t.Fatalf("only %d planted violations found in the fixture", len(want))
	}
}

// TestAllowlistExempts shows that an allowlisted rule is not reported for
// that file, and only that rule.
func TestAllowlistExempts(t *testing.T) {
	root := moduleRoot(t)
	const path = "internal/detguard/testdata/planted/planted.go"
	all, err := CheckModule(root, []string{"./internal/detguard/testdata/planted"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	some, err := CheckModule(root, []string{"./internal/detguard/testdata/planted"},
		Allowlist{path: {"time": "test"}})
	if err != nil {
		t.Fatal(err)
	}
	times := 0
	for _, f := range all {
		if f.Rule == "time" {
			times++
		}
	}
	if times == 0 || len(some) != len(all)-times {
		t.Fatalf("allowing 'time' removed %d of %d findings, want exactly the %d time findings", len(all)-len(some), len(all), times)
	}
}
