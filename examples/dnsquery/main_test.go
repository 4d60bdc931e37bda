package main

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/actorio/actorio/actors"
	"github.com/actorio/actorio/sockactor"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

const nNames = 1000

// hosts returns the test names and their addresses.
func hosts() ([]string, map[string]string) {
	names := make([]string, nNames)
	addrs := map[string]string{}
	for i := range names {
		names[i] = fmt.Sprintf("host%04d.actorio.test", i)
		addrs[names[i]] = fmt.Sprintf("10.%d.%d.%d", i/65536, (i/256)%256, i%256+0)
	}
	return names, addrs
}

// startDnsmasq runs a real dnsmasq on 127.0.0.1 serving a hosts file of
// nNames names, and v6.actorio.test with an IPv6 address only; it is the
// only server of actorio.test (other names there: NXDOMAIN) and has no
// upstream (names elsewhere: REFUSED). It fails (not skips) when CI is
// set and dnsmasq is missing.
func startDnsmasq(t *testing.T) string {
	t.Helper()
	names, addrs := hosts()
	var hb strings.Builder
	for _, n := range names {
		fmt.Fprintf(&hb, "%s %s\n", addrs[n], n)
	}
	hb.WriteString("fd00::1 v6.actorio.test\n")
	return startDnsmasqHosts(t, hb.String(), "--cache-size=2000", "--local=/actorio.test/")
}

// startDnsmasqHosts runs a real dnsmasq on 127.0.0.1 serving hostsText as
// its hosts file, with extraArgs added to its command line, and returns
// its address; it skips (or fails under CI) like startDnsmasq.
func startDnsmasqHosts(t *testing.T, hostsText string, extraArgs ...string) string {
	t.Helper()
	bin, err := exec.LookPath("dnsmasq")
	if err != nil {
		bin = "/usr/sbin/dnsmasq"
		if _, serr := os.Stat(bin); serr != nil {
			if os.Getenv("CI") != "" {
				t.Fatalf("dnsmasq is required in CI (make deps installs it): %v", err)
			}
			t.Skip("dnsmasq not installed; `make deps` installs it")
		}
	}
	dir := t.TempDir()
	hostsFile := filepath.Join(dir, "hosts")
	if err := os.WriteFile(hostsFile, []byte(hostsText), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	port := freePort(t)
	args := append([]string{"--keep-in-foreground", "--conf-file=/dev/null", "--no-resolv", "--no-hosts",
		"--addn-hosts=" + hostsFile, "--listen-address=127.0.0.1", "--bind-interfaces",
		fmt.Sprintf("--port=%d", port), "--pid-file=", "--user=root", "--log-facility=-"}, extraArgs...)
	cmd := exec.Command(bin, args...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatalf("start dnsmasq: %v", err)
	}
	t.Cleanup(func() {
		cmd.Process.Kill()
		cmd.Wait()
	})
	addr := fmt.Sprintf("127.0.0.1:%d", port)
	for i := 0; ; i++ {
		c, err := net.DialTimeout("tcp", addr, time.Second)
		if err == nil {
			c.Close()
			break
		}
		if i > 100 {
			t.Fatalf("dnsmasq did not come up on %s: %v\n%s", addr, err, stderr.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
	return addr
}

func freePort(t *testing.T) int {
	for i := 0; i < 20; i++ {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		port := l.Addr().(*net.TCPAddr).Port
		u, err := net.ListenPacket("udp", fmt.Sprintf("127.0.0.1:%d", port))
		l.Close()
		if err == nil {
			u.Close()
			return port
		}
	}
	t.Fatal("no free port")
	return 0
}

func check(t *testing.T, got map[string]Answer) {
	t.Helper()
	names, addrs := hosts()
	for _, n := range names {
		if a := got[n]; a.Err != nil || len(a.Addrs) != 1 || a.Addrs[0] != addrs[n] {
			t.Fatalf("%s: got %+v, want %s", n, a, addrs[n])
		}
	}
}

func resolve(t *testing.T, server string, r Resolver) map[string]Answer {
	t.Helper()
	sys := actors.New()
	defer sys.Close(context.Background())
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	r.Sys, r.Transport, r.Server = sys, sockactor.RealTransport(), server
	names, _ := hosts()
	got, err := r.Resolve(ctx, names)
	if err != nil {
		t.Fatal(err)
	}
	return got
}

// TestDnsmasq resolves every name of a real dnsmasq over UDP and over
// pipelined TCP, also with each query's length header written in two
// pieces and each answer's header split across reads by a proxy.
func TestDnsmasq(t *testing.T) {
	server := startDnsmasq(t)
	t.Run("udp", func(t *testing.T) { check(t, resolve(t, server, Resolver{})) })
	t.Run("tcp", func(t *testing.T) { check(t, resolve(t, server, Resolver{TCP: true})) })
	t.Run("tcp-split-header", func(t *testing.T) {
		proxy, splits := splitProxy(t, server)
		check(t, resolve(t, proxy, Resolver{TCP: true, SplitHeader: true}))
		if n := splits(); n != nNames {
			t.Fatalf("the proxy split %d answer headers, want %d", n, nNames)
		}
	})
	t.Run("cli", func(t *testing.T) {
		for _, tcp := range [][]string{nil, {"-tcp"}} {
			args := append([]string{"-server", server}, tcp...)
			expectCLI(t, append(args, "host0007.actorio.test", "host0999.actorio.test"),
				"host0007.actorio.test 10.0.0.7\nhost0999.actorio.test 10.0.3.231\n", "", 0)
			// dnsmasq: NXDOMAIN in its own domain, NOERROR without an A
			// record for an IPv6-only name: they do not resolve.
			expectCLI(t, append(args, "host0001.actorio.test", "nosuch.actorio.test", "v6.actorio.test"),
				"host0001.actorio.test 10.0.0.1\n",
				"dnsquery: nosuch.actorio.test does not resolve (NXDOMAIN)\n"+
					"dnsquery: v6.actorio.test does not resolve (no A record)\n", 1)
			// Without an upstream it refuses other names: a failure.
			expectCLI(t, append(args, "nosuch.invalid", "host0001.actorio.test"),
				"host0001.actorio.test 10.0.0.1\n",
				"dnsquery: nosuch.invalid: server "+server+" answered REFUSED\n", 3)
		}
		if _, _, code := runCLI("-tcp"); code != 2 {
			t.Fatalf("no server: exit %d, want 2", code)
		}
	})
}

// splitProxy forwards one TCP connection to server, and writes each
// answer's 2-byte length header as two 1-byte writes a few milliseconds
// apart, so the client's reader sees the header split across reads.
func splitProxy(t *testing.T, server string) (string, func() int) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	splits := new(int)
	var wg sync.WaitGroup
	wg.Add(1)
	var mu sync.Mutex
	go func() {
		defer wg.Done()
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			wg.Add(1)
			go func() {
				defer wg.Done()
				proxyOne(c, server, &mu, splits)
			}()
		}
	}()
	t.Cleanup(func() {
		l.Close()
		wg.Wait()
	})
	return l.Addr().String(), func() int {
		mu.Lock()
		defer mu.Unlock()
		return *splits
	}
}

func proxyOne(c net.Conn, server string, mu *sync.Mutex, splits *int) {
	defer c.Close()
	up, err := net.Dial("tcp", server)
	if err != nil {
		return
	}
	defer up.Close()
	go io.Copy(up, c)
	br := bufio.NewReader(up)
	for {
		var hdr [2]byte
		if _, err := io.ReadFull(br, hdr[:]); err != nil {
			return
		}
		body := make([]byte, int(hdr[0])<<8|int(hdr[1]))
		if _, err := io.ReadFull(br, body); err != nil {
			return
		}
		c.Write(hdr[:1])
		// Counted before the rest goes out: once the client has this
		// answer, the count includes it.
		mu.Lock()
		*splits++
		mu.Unlock()
		time.Sleep(2 * time.Millisecond)
		c.Write(append(hdr[1:], body...))
	}
}
