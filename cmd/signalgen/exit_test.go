package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestExitStatus: -h prints the usage and exits 0, a usage error (missing
// or unknown flags) exits 2 with the usage, a bad schema exits 1, as
// simrun and the examples do.
func TestExitStatus(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.qapi")
	if err := os.WriteFile(bad, []byte("{ 'A': { 'x': 'Nope' } }\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		args []string
		code int
		want string
	}{
		{[]string{"-h"}, 0, "-schema"},
		{[]string{"-help"}, 0, "-schema"},
		{nil, 2, "usage: signalgen"},
		{[]string{"-schema", bad}, 2, "usage: signalgen"},
		{[]string{"-nope"}, 2, "-schema"},
		{[]string{"-schema", bad, "-pkg", "p", "stray"}, 2, "usage: signalgen"},
		{[]string{"-schema", bad, "-pkg", "p", "-o", filepath.Join(dir, "out.go")}, 1, "bad.qapi:1:"},
	} {
		var stderr bytes.Buffer
		if code := runMain(c.args, &stderr); code != c.code || !strings.Contains(stderr.String(), c.want) {
			t.Errorf("signalgen %q: exit %d, want %d; stderr:\n%s", c.args, code, c.code, stderr.String())
		}
		if c.code == 0 && strings.Contains(stderr.String(), "help requested") {
			t.Errorf("signalgen %q reports help as an error:\n%s", c.args, stderr.String())
		}
	}
}
