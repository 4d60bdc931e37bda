package main

import (
	"strings"
	"testing"
)

// TestRegressionMalformedServer: a -server value that is not an address
// (a bad port, too many colons, an unclosed bracket) is a usage error,
// exit 2 like a malformed -timeout, with the value named; a well-formed
// server whose host does not resolve stays a lookup failure (3).
//
// Found in review: every bad -server value exited 3, "some name could not
// be looked up", as if a server had been asked.
func TestRegressionMalformedServer(t *testing.T) {
	for _, server := range []string{"127.0.0.1:99999", "127.0.0.1:-1", "bad:addr:x", "[::1", "127.0.0.1:port"} {
		out, errOut, code := runCLI("-server", server, "a.test")
		if code != 2 || out != "" || !strings.HasPrefix(errOut, "dnsquery: -server "+server+": ") {
			t.Errorf("-server %s: exit %d, stdout %q, stderr %q; want 2 and the value named", server, code, out, errOut)
		}
	}
}
