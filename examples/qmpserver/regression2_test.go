package main

import (
	"bytes"
	"strings"
	"testing"
)

// TestUsage: -h prints the usage, its flags listed, and exits 0; a usage
// error (no address to serve on, a bad flag, an extra argument) prints
// the reason once and the same usage, and exits 2. -h printed Go's
// default "Usage of ..." text, and no arguments got a one-line synopsis.
func TestUsage(t *testing.T) {
	for _, c := range []struct {
		args []string
		code int
		msg  string // the reason, printed once ("" for -h)
	}{
		{[]string{"-h"}, 0, ""},
		{[]string{"-help"}, 0, ""},
		{nil, 2, "-socket PATH or -tcp ADDR is required"},
		{[]string{"-bogus"}, 2, "flag provided but not defined: -bogus"},
		{[]string{"-socket", "/tmp/x.sock", "extra"}, 2, "unexpected arguments: extra"},
	} {
		var stderr bytes.Buffer
		code := runMain(c.args, &stderr)
		errOut := stderr.String()
		if code != c.code || strings.Contains(errOut, "Usage of") || strings.Count(errOut, "usage: qmpserver") != 1 ||
			!strings.Contains(errOut, "-socket") || !strings.Contains(errOut, "-tcp") ||
			(c.msg != "" && strings.Count(errOut, c.msg) != 1) {
			t.Errorf("%v: exit %d (want %d); stderr:\n%s", c.args, code, c.code, errOut)
		}
	}
}
