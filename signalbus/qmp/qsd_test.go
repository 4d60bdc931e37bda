package qmp_test

import (
	"bufio"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

// peer is one side of the differential test: a QMP socket we write bytes
// to and read lines from.
type peer struct {
	name string
	c    net.Conn
	r    *bufio.Reader
}

func dialPeer(t *testing.T, name, path string) *peer {
	t.Helper()
	var c net.Conn
	var err error
	for i := 0; i < 100; i++ {
		if c, err = net.Dial("unix", path); err == nil {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	t.Cleanup(func() { c.Close() })
	return &peer{name: name, c: c, r: bufio.NewReader(c)}
}

func (p *peer) lines(t *testing.T, n int) []string {
	t.Helper()
	_ = p.c.SetReadDeadline(time.Now().Add(10 * time.Second))
	var out []string
	for i := 0; i < n; i++ {
		l, err := p.r.ReadString('\n')
		if err != nil {
			t.Fatalf("%s: reading line %d of %d: %v (so far %q)", p.name, i+1, n, err, out)
		}
		out = append(out, l)
	}
	return out
}

func (p *peer) send(t *testing.T, s string) {
	t.Helper()
	if _, err := p.c.Write([]byte(s)); err != nil {
		t.Fatalf("%s: %v", p.name, err)
	}
}

// startQSD runs a real qemu-storage-daemon with one QMP monitor. Without
// it the test fails when CI is set (make test installs
// qemu-system-common) and is skipped otherwise.
func startQSD(t *testing.T) string {
	t.Helper()
	bin, err := exec.LookPath("qemu-storage-daemon")
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatal("qemu-storage-daemon not found (Debian package qemu-system-common); CI must have it")
		}
		t.Skip("qemu-storage-daemon not installed (apt-get install qemu-system-common)")
	}
	dir := t.TempDir()
	sock := filepath.Join(dir, "qsd.sock")
	cmd := exec.Command(bin, "--chardev", "socket,id=m,path="+sock+",server=on,wait=off", "--monitor", "chardev=m")
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
	})
	return sock
}

var (
	numbers  = regexp.MustCompile(`\d+`)
	pkgField = regexp.MustCompile(`"package": "[^"]*"`)
	capsList = regexp.MustCompile(`"capabilities": \[[^\]]*\]`)
	eventRE  = regexp.MustCompile(`^\{"timestamp": \{"seconds": \d+, "microseconds": \d+\}, "event": "[A-Z_]+", "data": \{.*\}\}\r\n$`)
)

// greetingShape keeps the greeting's structure and drops what differs by
// design: version numbers, package, and the offered capabilities (QEMU
// offers oob; we offer none).
func greetingShape(s string) string {
	s = numbers.ReplaceAllString(s, "0")
	s = pkgField.ReplaceAllString(s, `"package": ""`)
	return capsList.ReplaceAllString(s, `"capabilities": []`)
}

// TestDifferentialQEMUStorageDaemon sends the same bytes to a real
// qemu-storage-daemon and to our server and compares the answers: the
// greeting's shape, negotiation, errors before negotiation, unknown
// commands, bad input, query-version's shape, and event framing.
func TestDifferentialQEMUStorageDaemon(t *testing.T) {
	qsdSock := startQSD(t)
	_, ourSock := serveUnix(t)
	qemu, ours := dialPeer(t, "qemu-storage-daemon", qsdSock), dialPeer(t, "actorio", ourSock)

	g1, g2 := qemu.lines(t, 1)[0], ours.lines(t, 1)[0]
	if greetingShape(g1) != greetingShape(g2) {
		t.Fatalf("greeting shapes differ:\nqemu:    %q\nactorio: %q", g1, g2)
	}
	same := []struct {
		in    string
		lines int
	}{
		{`{"execute": "query-version", "id": 1}` + "\n", 1},                  // before negotiation
		{`{"execute": "qmp_capabilities", "id": {"x": [1, "a"]}}` + "\n", 1}, // negotiation; object id echoed
		{`{"execute": "nope", "id": 3}` + "\n", 1},                           // unknown command
		{`{"execute": "qmp_capabilities"}` + "\n", 1},                        // again
		{"garbage\n", 1},             // malformed JSON
		{"[1]\n", 1},                 // not an object
		{`{"execute": 5}` + "\n", 1}, // execute not a string
		{`{"execute": "query-version", "arguments": {"x": 1}, "id": "s"}` + "\n", 1}, // bad argument
		{`{"execute": "query-version", "foo": 1, "id": 9}` + "\n", 1},                // unexpected member
		{`{"arguments": {}, "id": 10}` + "\n", 1},                                    // no execute
		{`{"execute": "query-version", "arguments": [], "id": 11}`, 1},               // arguments not an object, no newline
		{`{'execute': 'nope', 'id': 'q'}` + "\r\n", 1},                               // single quotes
		{`{"execute": "nope", "id": 12}{"execute": "nope", "id": 13}` + "\n", 2},     // two on one line
		{`{"execute": "exec-oob-less", "exec-oob": "x", "id": 14}` + "\n", 1},        // clash
		{"{\"execute\": \"nope\",\n \"id\": 15}\n", 1},                               // one command over two lines
	}
	for _, s := range same {
		qemu.send(t, s.in)
		ours.send(t, s.in)
		a, b := qemu.lines(t, s.lines), ours.lines(t, s.lines)
		if strings.Join(a, "") != strings.Join(b, "") {
			t.Errorf("input %q:\nqemu:    %q\nactorio: %q", s.in, a, b)
		}
	}

	// query-version: the same members in the same order (QEMU's QDict
	// order), version numbers and package aside.
	qemu.send(t, `{"execute": "query-version", "id": 19}`+"\n")
	ours.send(t, `{"execute": "query-version", "id": 19}`+"\n")
	if a, b := greetingShape(qemu.lines(t, 1)[0]), greetingShape(ours.lines(t, 1)[0]); a != b {
		t.Errorf("query-version shapes differ:\nqemu:    %q\nactorio: %q", a, b)
	}

	// Event framing: a job on qemu, an injected event on ours; both write
	// the events a command raised before its return.
	qemu.send(t, `{"execute": "blockdev-create", "arguments": {"job-id": "j1", "options": {"driver": "file", "filename": "`+filepath.Join(t.TempDir(), "f.img")+`", "size": 65536}}, "id": 20}`+"\n")
	ours.send(t, `{"execute": "inject-block-io-event", "arguments": {"device": "vda", "action": "report", "operation": "write"}, "id": 20}`+"\n")
	q := qemu.lines(t, 3) // created, running, return
	o := ours.lines(t, 2) // the event, return
	for _, l := range []string{q[0], q[1], o[0]} {
		if !eventRE.MatchString(l) {
			t.Errorf("event framing: %q", l)
		}
	}
	if q[2] != `{"return": {}, "id": 20}`+"\r\n" || o[1] != q[2] {
		t.Errorf("returns after events: qemu %q, actorio %q", q[2], o[1])
	}
}
