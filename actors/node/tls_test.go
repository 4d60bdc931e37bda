package node_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/actorio/actorio/actors"

	"github.com/actorio/actorio/actors/node"
	"github.com/actorio/actorio/internal/testcert"
)

// peerEnv is the peer environment that loads f.
func peerEnv(f testcert.Files) []string {
	return []string{"ACTORIO_PEER_CERT=" + f.Cert, "ACTORIO_PEER_KEY=" + f.Key, "ACTORIO_PEER_CA=" + f.CA}
}

// TestMutualTLS: a node requiring mutual TLS serves a peer whose
// certificate its CA signed, and refuses one from another CA: that peer's
// request never reaches an actor.
func TestMutualTLS(t *testing.T) {
	dir := t.TempDir()
	ours, theirs := testcert.NewAuthority(t, "ours"), testcert.NewAuthority(t, "theirs")
	server, _ := startPeer(t, "serve", peerEnv(ours.Issue(t, dir, "server"))...)

	_, got := startPeer(t, "ask", append(peerEnv(theirs.Issue(t, dir, "intruder")), "ACTORIO_PEER_TARGET="+server.addr)...)
	if !strings.HasPrefix(got, "ERROR") {
		t.Fatalf("a client with another CA's certificate got %q", got)
	}
	_, got = startPeer(t, "ask", append(peerEnv(ours.Issue(t, dir, "client")), "ACTORIO_PEER_TARGET="+server.addr)...)
	if got != "REPLY echo (asks 1)" {
		t.Fatalf("a client with our CA's certificate got %q (the intruder's request must not have counted)", got)
	}
	if _, err := node.LoadTLS(filepath.Join(dir, "missing.crt"), filepath.Join(dir, "missing.key"), filepath.Join(dir, "missing-ca.crt")); err == nil {
		t.Fatal("LoadTLS of missing files succeeded")
	}
	if _, err := node.NewCertPool([]byte("not pem")); err == nil {
		t.Fatal("NewCertPool accepted garbage")
	}
}

// selfSigned returns a node identity whose certificate, made from tmpl's
// validity and key usage, signs itself and is its only CA.
func selfSigned(t *testing.T, tmpl *x509.Certificate) *node.TLS {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl.SerialNumber, tmpl.Subject = big.NewInt(1), pkix.Name{CommonName: "self"}
	tmpl.IsCA, tmpl.BasicConstraintsValid = true, true
	tmpl.KeyUsage = x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign
	tmpl.IPAddresses = []net.IP{net.ParseIP("127.0.0.1")}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	pool, err := node.NewCertPool(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}))
	if err != nil {
		t.Fatal(err)
	}
	return &node.TLS{Certificate: tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}, CAs: pool}
}

// TestTLSConfigErrors: a TLS identity with which every handshake would
// fail (gRPC only retrying in silence) fails Start, saying why, before
// anything listens; so do files that do not make one, each error naming
// what is wrong with which file.
func TestTLSConfigErrors(t *testing.T) {
	sys := actors.New()
	defer sys.Close(context.Background())
	now := time.Now()
	both := []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth, x509.ExtKeyUsageClientAuth}
	good := selfSigned(t, &x509.Certificate{NotBefore: now.Add(-time.Hour), NotAfter: now.Add(time.Hour), ExtKeyUsage: both})
	keyless := *good
	keyless.Certificate.PrivateKey = nil
	for _, tc := range []struct {
		name string
		tls  *node.TLS
		want string
	}{
		{"server only", selfSigned(t, &x509.Certificate{NotBefore: now.Add(-time.Hour), NotAfter: now.Add(time.Hour),
			ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}), "client authentication"},
		{"expired", selfSigned(t, &x509.Certificate{NotBefore: now.Add(-2 * time.Hour), NotAfter: now.Add(-time.Hour), ExtKeyUsage: both}), "expired"},
		{"not yet valid", selfSigned(t, &x509.Certificate{NotBefore: now.Add(time.Hour), NotAfter: now.Add(2 * time.Hour), ExtKeyUsage: both}), "not valid before"},
		{"no key", &keyless, "no private key"},
		{"empty", &node.TLS{}, "needs a certificate"},
	} {
		n, err := node.Start(sys, node.Config{TLS: tc.tls})
		if err == nil {
			n.Stop()
			t.Errorf("%s: Start succeeded", tc.name)
			continue
		}
		if !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: %v, want an error saying %q", tc.name, err, tc.want)
		}
	}

	dir := t.TempDir()
	a, b := testcert.NewAuthority(t, "a").Issue(t, dir, "a"), testcert.NewAuthority(t, "b").Issue(t, dir, "b")
	garbage := filepath.Join(dir, "garbage.crt")
	if err := os.WriteFile(garbage, []byte("not pem"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name            string
		cert, key, ca   string
		want, wantTwice string
	}{
		{"key of another certificate", a.Cert, b.Key, a.CA, "private key does not match", ""},
		{"missing CA file", a.Cert, a.Key, filepath.Join(dir, "missing-ca.crt"), "missing-ca.crt", ""},
		{"CA file without PEM", a.Cert, a.Key, garbage, "no PEM certificate in the CA file " + garbage, "node: "},
	} {
		_, err := node.LoadTLS(tc.cert, tc.key, tc.ca)
		switch {
		case err == nil:
			t.Errorf("%s: LoadTLS succeeded", tc.name)
		case !strings.Contains(err.Error(), tc.want):
			t.Errorf("%s: %v, want an error saying %q", tc.name, err, tc.want)
		case tc.wantTwice != "" && strings.Count(err.Error(), tc.wantTwice) > 1:
			t.Errorf("%s: %v says %q twice", tc.name, err, tc.wantTwice)
		}
	}
}
