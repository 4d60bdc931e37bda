package main

import (
	"context"
	"fmt"
	"net"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/actorio/actorio/actors"
	"github.com/actorio/actorio/sockactor"
)

// TestRegressionTruncatedUDPAnswer: a name whose A records do not fit in
// a 512-byte UDP answer gets a truncated (TC) answer from the server; the
// resolver must retry it over TCP and return every address. Found in
// review: the UDP path ignored the TC bit and returned the partial (often
// empty) record set as if it were complete.
func TestRegressionTruncatedUDPAnswer(t *testing.T) {
	const n = 60
	var hb strings.Builder
	var want []string
	for i := 0; i < n; i++ {
		a := fmt.Sprintf("10.9.0.%d", i+1)
		want = append(want, a)
		fmt.Fprintf(&hb, "%s big.actorio.test\n", a)
	}
	hb.WriteString("10.9.1.1 small.actorio.test\n")
	server := startDnsmasqHosts(t, hb.String())
	sys := actors.New()
	defer sys.Close(context.Background())
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	r := &Resolver{Sys: sys, Transport: sockactor.RealTransport(), Server: server}
	got, err := r.Resolve(ctx, []string{"small.actorio.test", "big.actorio.test"})
	if err != nil {
		t.Fatal(err)
	}
	if g := got["small.actorio.test"]; len(g) != 1 || g[0] != "10.9.1.1" {
		t.Fatalf("small: got %v", g)
	}
	big := append([]string(nil), got["big.actorio.test"]...)
	sort.Strings(big)
	sort.Strings(want)
	if strings.Join(big, " ") != strings.Join(want, " ") {
		t.Fatalf("big: got %d addresses %v, want all %d", len(big), big, n)
	}
}

// TestRegressionTCPErrorClosesEveryConnection: when one TCP batch fails,
// Resolve returns the error and closes every connection it opened. Found
// in review: resolveTCP returned on the first batch's error and left the
// other batches' connections (and their actors) open until the system
// closed.
func TestRegressionTCPErrorClosesEveryConnection(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	closed := make(chan int, 8)
	go func() {
		for i := 0; ; i++ {
			c, err := l.Accept()
			if err != nil {
				return
			}
			if i == 0 {
				c.Close() // the first batch fails
				continue
			}
			go func(i int, c net.Conn) {
				defer c.Close()
				buf := make([]byte, 512)
				for {
					if _, err := c.Read(buf); err != nil {
						closed <- i // the client closed its end
						return
					}
				}
			}(i, c)
		}
	}()
	sys := actors.New()
	defer sys.Close(context.Background())
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	r := &Resolver{Sys: sys, Transport: sockactor.RealTransport(), Server: l.Addr().String(), TCP: true, PerConn: 1}
	if _, err := r.Resolve(ctx, []string{"a.test", "b.test", "c.test"}); err == nil {
		t.Fatal("Resolve succeeded against a server that closes the connection")
	}
	for want := 2; want > 0; want-- {
		select {
		case <-closed:
		case <-time.After(3 * time.Second):
			t.Fatalf("%d connection(s) still open after Resolve returned", want)
		}
	}
}
