package node

import (
	"context"
	"crypto/tls"
	"io"
	"net"
	"os"
	"time"

	"github.com/pkg/errors"
)

// probeTimeout bounds a Probe whose context has no earlier deadline.
const probeTimeout = 3 * time.Second

// http2Start is what a gRPC client sends first: the HTTP/2 connection
// preface and an empty SETTINGS frame. A gRPC server answers with a
// SETTINGS frame of its own.
var http2Start = append([]byte("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"), 0, 0, 0, 4, 0, 0, 0, 0, 0)

const http2Settings = 4 // the frame type of SETTINGS

// Probe connects to the node at addr the way this node dials its peers
// (TCP, then mutual TLS when the node has TLS) and checks that a gRPC
// server answers, then hangs up. It returns nil when one does, else an
// error that says which step failed: the connection (refused,
// unreachable), the TLS handshake (the peer's certificate is not signed
// by a CA this node trusts), the peer ending the connection after the
// handshake (it does not accept this node's certificate), a peer that
// does not speak plaintext gRPC (it requires TLS), or one that accepts
// the connection and then says nothing (hung). It gives up after 3s, or
// ctx's deadline if earlier.
//
// It exists to explain a peer that does not answer: gRPC, underneath
// protoactor's remote, retries a refused or failed connection without
// saying why, so a request to such a peer fails only once
// Config.DialTimeout has passed, as a dead letter (ErrNoActor).
func (n *Node) Probe(ctx context.Context, addr string) error { return probe(ctx, n.cfg.TLS, addr) }

func probe(ctx context.Context, t *TLS, addr string) error {
	ctx, cancel := context.WithTimeout(ctx, probeTimeout)
	defer cancel()
	var d net.Dialer
	conn, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		return errors.Wrapf(err, "node: probe %s", addr)
	}
	defer conn.Close()
	if deadline, ok := ctx.Deadline(); ok {
		_ = conn.SetDeadline(deadline)
	}
	var rw io.ReadWriter = conn
	if t != nil {
		host, _, err := net.SplitHostPort(addr)
		if err != nil {
			return errors.Wrapf(err, "node: probe %s", addr)
		}
		cfg := clientTLS(t)
		cfg.ServerName, cfg.NextProtos = host, []string{"h2"}
		tc := tls.Client(conn, cfg)
		if err := tc.HandshakeContext(ctx); err != nil {
			if timedOut(err) {
				return errors.Wrapf(err, "node: %s accepted the connection but did not complete the TLS handshake in time (is it hung?)", addr)
			}
			return errors.Wrapf(err, "node: TLS handshake with %s", addr)
		}
		rw = tc
	}
	if _, err := rw.Write(http2Start); err != nil {
		return errors.Wrapf(err, "node: probe %s: write", addr)
	}
	var hdr [9]byte
	if _, err := io.ReadFull(rw, hdr[:]); err != nil {
		if timedOut(err) {
			// A server that says nothing at all is not refusing
			// anything: it is hung, or not a gRPC server.
			return errors.Wrapf(err, "node: %s accepted the connection but did not answer in time (is it hung, or not a gRPC server?)", addr)
		}
		if t != nil {
			return errors.Wrapf(err, "node: %s ended the TLS connection: it does not accept this node's certificate", addr)
		}
		return errors.Wrapf(err, "node: %s does not answer plaintext gRPC (does it require TLS?)", addr)
	}
	if hdr[3] != http2Settings {
		if t == nil && hdr[0] == 0x15 { // a TLS alert record
			return errors.Errorf("node: %s answered with a TLS alert: it requires TLS", addr)
		}
		return errors.Errorf("node: %s does not answer as a gRPC server (its first bytes: % x)", addr, hdr)
	}
	return nil
}

// timedOut reports whether err is the probe's deadline passing.
func timedOut(err error) bool {
	var ne net.Error
	return errors.Is(err, context.DeadlineExceeded) || errors.Is(err, os.ErrDeadlineExceeded) ||
		(errors.As(err, &ne) && ne.Timeout())
}

// serverTLS is the TLS configuration a node serves with: mutual TLS 1.3,
// clients verified against t's CAs.
func serverTLS(t *TLS) *tls.Config {
	return &tls.Config{
		Certificates: []tls.Certificate{t.Certificate},
		ClientCAs:    t.CAs.pool,
		ClientAuth:   tls.RequireAndVerifyClientCert,
		MinVersion:   tls.VersionTLS13,
	}
}

// clientTLS is the TLS configuration a node dials its peers with.
func clientTLS(t *TLS) *tls.Config {
	return &tls.Config{
		Certificates: []tls.Certificate{t.Certificate},
		RootCAs:      t.CAs.pool,
		MinVersion:   tls.VersionTLS13,
	}
}
