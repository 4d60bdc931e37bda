package node

import (
	"context"
	"io"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/actorio/actorio/internal/testcert"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials"
)

// grpcServer serves nothing but gRPC itself on loopback (with mutual TLS
// when t is set) until the test ends.
func grpcServer(t *testing.T, tl *TLS) string {
	t.Helper()
	var opts []grpc.ServerOption
	if tl != nil {
		opts = append(opts, grpc.Creds(credentials.NewTLS(serverTLS(tl))))
	}
	s := grpc.NewServer(opts...)
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		_ = s.Serve(lis)
	}()
	t.Cleanup(func() {
		s.Stop()
		<-done
	})
	return lis.Addr().String()
}

func loadTLS(t *testing.T, f testcert.Files) *TLS {
	t.Helper()
	tl, err := LoadTLS(f.Cert, f.Key, f.CA)
	if err != nil {
		t.Fatal(err)
	}
	return tl
}

// TestProbe: each way a peer can fail to answer gets an error naming the
// step that failed; a peer that would answer gets nil.
func TestProbe(t *testing.T) {
	dir := t.TempDir()
	ours, theirs := testcert.NewAuthority(t, "ours"), testcert.NewAuthority(t, "theirs")
	server := loadTLS(t, ours.Issue(t, dir, "server"))
	client := loadTLS(t, ours.Issue(t, dir, "client"))
	intruder := loadTLS(t, theirs.Issue(t, dir, "intruder"))
	// Our CA's client certificate, but trusting the other CA for servers:
	// the server accepts it, the client refuses the server.
	doubter := &TLS{Certificate: client.Certificate, CAs: intruder.CAs}
	// A client the server's handshake refuses: its certificate is signed
	// by the other CA, while it trusts the server's.
	stranger := &TLS{Certificate: intruder.Certificate, CAs: client.CAs}

	secure, plain := grpcServer(t, server), grpcServer(t, nil)
	closed := func() string {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		addr := l.Addr().String()
		l.Close()
		return addr
	}()
	ctx := context.Background()
	for _, tc := range []struct {
		name string
		tls  *TLS
		addr string
		want string // "" for success, else a part of the error
	}{
		{"mutual TLS", client, secure, ""},
		{"plaintext", nil, plain, ""},
		{"server's certificate not trusted", doubter, secure, "TLS handshake"},
		{"intruder trusting nobody we use", intruder, secure, "TLS handshake"},
		{"client certificate refused", stranger, secure, "does not accept this node's certificate"},
		{"plaintext client, TLS server", nil, secure, "TLS"},
		{"TLS client, plaintext server", client, plain, "TLS handshake"},
		{"nothing listening", nil, closed, "refused"},
		{"bad address", nil, "no-port", "probe no-port"},
	} {
		err := probe(ctx, tc.tls, tc.addr)
		t.Logf("%s: %v", tc.name, err)
		switch {
		case tc.want == "" && err != nil:
			t.Errorf("%s: %v", tc.name, err)
		case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)):
			t.Errorf("%s: error %v, want one saying %q", tc.name, err, tc.want)
		}
	}
}

// TestProbeHungPeer: a peer that accepts the connection and then says
// nothing is reported as such, not as one that requires TLS or refuses
// this node's certificate.
func TestProbeHungPeer(t *testing.T) {
	dir := t.TempDir()
	ca := testcert.NewAuthority(t, "ours")
	client := loadTLS(t, ca.Issue(t, dir, "client"))
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	go func() { // accept, read, never answer
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				_, _ = io.Copy(io.Discard, c)
			}()
		}
	}()
	for _, tc := range []struct {
		name string
		tls  *TLS
	}{{"plaintext", nil}, {"mutual TLS", client}} {
		ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
		err := probe(ctx, tc.tls, l.Addr().String())
		cancel()
		t.Logf("%s: %v", tc.name, err)
		if err == nil || !strings.Contains(err.Error(), "did not") || !strings.Contains(err.Error(), "hung") {
			t.Errorf("%s: %v, want an error saying the peer did not answer", tc.name, err)
		}
	}
}
