package main

import (
	"strings"
	"testing"
)

// TestHelpExitsZero: -h asks for the usage; it is not a usage error, so
// simrun and simrun replay print it and exit 0 (as flag.ExitOnError
// programs do), not 2. replay's usage says what replay's -scenario and
// -seed mean (it showed the campaign's "first seed; given alone, run only
// this seed" and a default scenario "all" that replay refuses).
func TestHelpExitsZero(t *testing.T) {
	for _, args := range [][]string{{"-h"}, {"-help"}, {"replay", "-h"}} {
		code, out, errOut := simrun(t, args...)
		if code != 0 || out != "" || !strings.Contains(errOut, "usage: simrun") {
			t.Errorf("%v: exit %d, stdout %q, stderr %q", args, code, out, errOut)
		}
	}
	_, _, errOut := simrun(t, "replay", "-h")
	if strings.Contains(errOut, "given alone") || strings.Contains(errOut, `"all"`) || !strings.Contains(errOut, "the seed to replay") {
		t.Errorf("replay usage speaks of campaigns:\n%s", errOut)
	}
}
