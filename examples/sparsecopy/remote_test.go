package main

import (
	"crypto/rand"
	"net"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/actorio/actorio/internal/testcert"
)

// The cross-process tests: a server process and client processes on
// 127.0.0.1 (see proc_test.go).

// sameMap checks that dst has exactly src's data ranges (SEEK_DATA and
// SEEK_HOLE walk the same map), besides the same content (sameFile).
func sameMap(t *testing.T, src, dst string) {
	t.Helper()
	sameFile(t, src, dst)
	a, b := openPair(t, src, dst)
	if ra, rb := dataRanges(t, a), dataRanges(t, b); !reflect.DeepEqual(ra, rb) {
		t.Fatalf("data ranges differ:\n%s: %v\n%s: %v", src, ra, dst, rb)
	}
}

// files lists the names in dir.
func files(t *testing.T, dir string) []string {
	t.Helper()
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, e := range ents {
		out = append(out, e.Name())
	}
	return out
}

// TestRemoteUploadDownload1GiB: a 1 GiB sparse image (32 random 1 MiB
// extents) goes to a server process and comes back, byte-identical, with
// the same data ranges; nothing temporary is left behind.
func TestRemoteUploadDownload1GiB(t *testing.T) {
	dir, local := t.TempDir(), t.TempDir()
	src, back := filepath.Join(local, "src.img"), filepath.Join(local, "back.img")
	makeImage(t, src, 1<<30, 32, 1<<20, 3)
	_, addr := server(t, dir, "127.0.0.1:0")
	if code, stderr := copyProc(t, src, addr+":disk.img"); code != 0 {
		t.Fatalf("upload: exit %d\n%s", code, stderr)
	}
	sameMap(t, src, filepath.Join(dir, "disk.img"))
	if code, stderr := copyProc(t, addr+":disk.img", back); code != 0 {
		t.Fatalf("download: exit %d\n%s", code, stderr)
	}
	sameMap(t, src, back)
	if got := files(t, dir); !reflect.DeepEqual(got, []string{"disk.img"}) {
		t.Fatalf("the server's directory holds %v", got)
	}
	if got := files(t, local); !reflect.DeepEqual(got, []string{"back.img", "src.img"}) {
		t.Fatalf("the client's directory holds %v", got)
	}
}

// makeDense writes size bytes of random data (a transfer that takes a
// while).
func makeDense(t *testing.T, path string, size int64) {
	t.Helper()
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	p := make([]byte, 4<<20)
	if _, err := rand.Read(p); err != nil {
		t.Fatal(err)
	}
	for off := int64(0); off < size; off += int64(len(p)) {
		p[0], p[1] = byte(off>>22), byte(off>>30)
		if _, err := f.WriteAt(p, off); err != nil {
			t.Fatal(err)
		}
	}
}

// progress waits until a file matching pattern in dir has more than n
// bytes (a transfer is under way).
func progress(t *testing.T, dir, pattern string, n int64, client *proc) {
	t.Helper()
	for deadline := time.Now().Add(time.Minute); time.Now().Before(deadline); time.Sleep(2 * time.Millisecond) {
		matches, _ := filepath.Glob(filepath.Join(dir, pattern))
		for _, m := range matches {
			if fi, err := os.Stat(m); err == nil && fi.Size() > n {
				return
			}
		}
		select {
		case <-client.Done():
			t.Fatalf("the client exited %d before the transfer got going:\n%s", client.wait(t), client.stderr())
		default:
		}
	}
	t.Fatalf("no progress in %s", dir)
}

// killed checks that client, whose server was killed at kill, exits
// non-zero within 5s with an error naming the server.
func killed(t *testing.T, client *proc, kill time.Time, addr string) {
	t.Helper()
	code := client.wait(t)
	if took := client.Exited().Sub(kill); took > 5*time.Second {
		t.Fatalf("the client exited %v after the server was killed", took)
	}
	stderr := client.stderr()
	if code == 0 || !strings.Contains(stderr, "sparsecopy: ") || !strings.Contains(stderr, "peer "+addr) {
		t.Fatalf("the client exited %d; want an error naming %s:\n%s", code, addr, stderr)
	}
}

// TestRemoteServerKilled: kill -9 the server in the middle of an upload
// and of a download: the client exits non-zero within 5s naming the
// server, no file looks complete on either side, and a restarted server
// serves a new transfer.
func TestRemoteServerKilled(t *testing.T) {
	dir, local := t.TempDir(), t.TempDir()
	src := filepath.Join(local, "src.img")
	makeDense(t, src, 512<<20)
	srv, addr := server(t, dir, "127.0.0.1:0")

	client := startProc(t, src, addr+":big.img")
	progress(t, dir, ".big.img.sparsecopy-*.tmp", 16<<20, client)
	_ = srv.Process().Kill()
	killed(t, client, time.Now(), addr)
	if _, err := os.Stat(filepath.Join(dir, "big.img")); !os.IsNotExist(err) {
		t.Fatalf("an interrupted upload left big.img (%v)", err)
	}

	// The same address again; the leftover temporary file stays as it is.
	srv, _ = server(t, dir, addr)
	small := filepath.Join(local, "small.img")
	makeImage(t, small, 64<<20, 4, 256<<10, 5)
	if code, stderr := copyProc(t, small, addr+":small.img"); code != 0 {
		t.Fatalf("upload after the restart: exit %d\n%s", code, stderr)
	}
	sameMap(t, small, filepath.Join(dir, "small.img"))

	// A download of a big file, interrupted the same way.
	if err := os.Rename(src, filepath.Join(dir, "served.img")); err != nil {
		t.Fatal(err)
	}
	dst := filepath.Join(local, "dst.img")
	client = startProc(t, addr+":served.img", dst)
	progress(t, local, ".dst.img.sparsecopy-*.tmp", 16<<20, client)
	_ = srv.Process().Kill()
	killed(t, client, time.Now(), addr)
	if got := files(t, local); !reflect.DeepEqual(got, []string{"small.img"}) {
		t.Fatalf("an interrupted download left %v", got)
	}
}

// TestRemoteTLS: a server requiring mutual TLS serves a client whose
// certificate its CA signed; a client with another CA's certificate, or
// with none, is refused and nothing is written.
func TestRemoteTLS(t *testing.T) {
	dir, local, certs := t.TempDir(), t.TempDir(), t.TempDir()
	ours, theirs := testcert.NewAuthority(t, "ours"), testcert.NewAuthority(t, "theirs")
	src := filepath.Join(local, "src.img")
	makeImage(t, src, 8<<20, 3, 100<<10, 7)
	_, addr := server(t, dir, "127.0.0.1:0", ours.Issue(t, certs, "server").Flags()...)

	// Refused clients are told why (a probe after the stream service did
	// not answer), not just that nobody answered.
	intruder := theirs.Issue(t, certs, "intruder").Flags()
	if code, stderr := copyProc(t, append(intruder, src, addr+":a.img")...); code == 0 || !strings.Contains(stderr, "TLS handshake") {
		t.Fatalf("a client with another CA's certificate: exit %d\n%s", code, stderr)
	}
	if code, stderr := copyProc(t, src, addr+":b.img"); code == 0 || !strings.Contains(stderr, "require TLS") {
		t.Fatalf("a client without TLS: exit %d\n%s", code, stderr)
	}
	if got := files(t, dir); len(got) != 0 {
		t.Fatalf("refused clients wrote %v", got)
	}
	client := ours.Issue(t, certs, "client").Flags()
	if code, stderr := copyProc(t, append(client, src, addr+":c.img")...); code != 0 {
		t.Fatalf("a client with our CA's certificate: exit %d\n%s", code, stderr)
	}
	sameMap(t, src, filepath.Join(dir, "c.img"))
}

// TestRemoteNoServer: a client whose server is not there is told that
// the connection was refused, at once (a probe comes before the dial),
// without protoactor's log of its failed connection attempts.
//
// Found in review: the client waited for the remote dial timeout (5 s)
// and protoactor logged an ERROR line before the client's own message.
func TestRemoteNoServer(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	src := filepath.Join(t.TempDir(), "src")
	if err := os.WriteFile(src, []byte("payload"), 0o644); err != nil {
		t.Fatal(err)
	}
	if code, stderr := copyProc(t, src, addr+":x"); code != 1 || !strings.Contains(stderr, "connection refused") ||
		strings.Contains(stderr, "EndpointWriter") || strings.Contains(stderr, "no answer") {
		t.Fatalf("upload to nobody: exit %d\n%s", code, stderr)
	}
}

// TestRemoteRefusesEscapes: names that leave the served directory are
// refused, and nothing outside it is read or written.
func TestRemoteRefusesEscapes(t *testing.T) {
	base := t.TempDir()
	dir, outside, local := filepath.Join(base, "served"), filepath.Join(base, "outside"), t.TempDir()
	for _, d := range []string{dir, outside, filepath.Join(dir, "sub")} {
		if err := os.Mkdir(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	secret := filepath.Join(outside, "secret")
	if err := os.WriteFile(secret, []byte("secret"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(outside, filepath.Join(dir, "out")); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("../../outside/secret", filepath.Join(dir, "sub", "secret")); err != nil {
		t.Fatal(err)
	}
	src := filepath.Join(local, "src")
	if err := os.WriteFile(src, []byte("payload"), 0o644); err != nil {
		t.Fatal(err)
	}
	_, addr := server(t, dir, "127.0.0.1:0")
	for _, name := range []string{"../x", "/tmp/x", "sub/../../x", "out/x", "out/secret", "sub/secret", "./x"} {
		if code, stderr := copyProc(t, src, addr+":"+name); code != 1 || !strings.Contains(stderr, "outside the served directory") {
			t.Errorf("upload to %q: exit %d\n%s", name, code, stderr)
		}
		dst := filepath.Join(local, "dst")
		if code, stderr := copyProc(t, addr+":"+name, dst); code != 1 || !strings.Contains(stderr, "outside the served directory") {
			t.Errorf("download of %q: exit %d\n%s", name, code, stderr)
		}
		if _, err := os.Stat(dst); !os.IsNotExist(err) {
			t.Errorf("download of %q wrote %s", name, dst)
		}
	}
	if got := files(t, outside); !reflect.DeepEqual(got, []string{"secret"}) {
		t.Fatalf("the directory outside holds %v", got)
	}
	if got, _ := os.ReadFile(secret); string(got) != "secret" {
		t.Fatalf("the secret became %q", got)
	}
	// A name inside still works.
	if code, stderr := copyProc(t, src, addr+":sub/ok"); code != 0 {
		t.Fatalf("upload to sub/ok: exit %d\n%s", code, stderr)
	}
}

// TestRemoteWarnsBeyondLoopback: a server without TLS on a non-loopback
// address says so.
func TestRemoteWarnsBeyondLoopback(t *testing.T) {
	p, _ := server(t, t.TempDir(), "0.0.0.0:0")
	for deadline := time.Now().Add(10 * time.Second); !strings.Contains(p.stderr(), "without TLS"); time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("no warning:\n%s", p.stderr())
		}
	}
}
