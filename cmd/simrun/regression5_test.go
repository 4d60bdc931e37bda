package main

import (
	"strings"
	"testing"
)

// TestFlagErrorPrintedOnce: a flag simrun cannot parse is reported once,
// with the usage (its flags listed), and exit 2. The flag package printed
// the error and the usage, then simrun printed the error again.
func TestFlagErrorPrintedOnce(t *testing.T) {
	for _, c := range []struct {
		args []string
		msg  string
	}{
		{[]string{"-bogus"}, "flag provided but not defined: -bogus"},
		{[]string{"-seeds", "x"}, `invalid value "x" for flag -seeds`},
		{[]string{"replay", "-bogus"}, "flag provided but not defined: -bogus"},
		{[]string{"replay", "-seed", "x"}, `invalid value "x" for flag -seed`},
	} {
		code, out, errOut := simrun(t, c.args...)
		if code != 2 || out != "" || strings.Count(errOut, c.msg) != 1 ||
			strings.Count(errOut, "usage: simrun") != 1 || !strings.Contains(errOut, "-scenario") {
			t.Errorf("%v: exit %d (want 2), stdout %q, the error %d times (want once); stderr:\n%s",
				c.args, code, out, strings.Count(errOut, c.msg), errOut)
		}
	}
}
