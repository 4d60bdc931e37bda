package main

import (
	"fmt"
	"strings"
	"syscall"
	"testing"

	"golang.org/x/net/dns/dnsmessage"
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

// TestRegressionMoreNamesThanQueryIDs: more distinct names than a call
// has query IDs (65536) are all looked up, in as many calls as it takes;
// each still gets its line.
//
// Found in review: 70000 names on the command line (a zone's worth, well
// within ARG_MAX) were refused as a whole, "at most 65536 distinct names
// per call", exit 3, and not one was looked up.
func TestRegressionMoreNamesThanQueryIDs(t *testing.T) {
	f := startFakeDNS(t, "127.0.0.1", func(q fakeQuery) [][]byte {
		return [][]byte{response(q, 0, []dnsmessage.Resource{aRR(q.Name(), "10.0.0.1")}, nil)}
	})
	const n = 1<<16 + 10
	// A deadline no run reaches, even under the race detector: the
	// default 10 s can pass before 65546 queries are answered.
	args := []string{"-server", f.Addr, "-timeout", "1h"}
	var want strings.Builder
	for i := range n {
		name := fmt.Sprintf("h%d.test", i)
		args = append(args, name)
		fmt.Fprintf(&want, "%s 10.0.0.1\n", name)
	}
	args = append(args, "h0.test") // a name given twice is one query
	fmt.Fprintf(&want, "h0.test 10.0.0.1\n")
	out, errOut, code := runCLI(args...)
	if code != 0 || errOut != "" || out != want.String() {
		t.Fatalf("%d names: exit %d, %d bytes of stdout (want %d), stderr %q…", n, code, len(out), want.Len(), errOut[:min(len(errOut), 300)])
	}
	if got := len(f.Queries()); got != n {
		t.Fatalf("the server got %d queries for %d names", got, n)
	}
}

// fullWriter is a disk with no space left.
type fullWriter struct{}

func (fullWriter) Write([]byte) (int, error) { return 0, syscall.ENOSPC }

// TestRegressionUnwritableOutput: addresses that cannot be written
// (stdout on a full disk) fail the command, exit 3 as for names that
// could not be looked up, with the reason on stderr.
//
// Found in review: write errors were ignored, and `dnsquery ... >
// /dev/full` exited 0 with no address written.
func TestRegressionUnwritableOutput(t *testing.T) {
	f := startFakeDNS(t, "127.0.0.1", func(q fakeQuery) [][]byte {
		return [][]byte{response(q, 0, []dnsmessage.Resource{aRR(q.Name(), "10.0.0.1")}, nil)}
	})
	var errOut strings.Builder
	code := run([]string{"-server", f.Addr, "a.test", "b.test"}, fullWriter{}, &errOut)
	if code != 3 || !strings.Contains(errOut.String(), "no space left on device") {
		t.Fatalf("to a full disk: exit %d, want 3; stderr %q", code, errOut.String())
	}
}
