package node_test

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
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

	"github.com/actorio/actorio/actors/node"
)

// authority is a test certificate authority.
type authority struct {
	cert *x509.Certificate
	key  *ecdsa.PrivateKey
	pem  []byte
}

var serial int64

func newAuthority(t *testing.T, name string) *authority {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	serial++
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(serial), Subject: pkix.Name{CommonName: name},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, _ := x509.ParseCertificate(der)
	return &authority{cert: cert, key: key, pem: pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})}
}

// issue writes a node certificate signed by a (for 127.0.0.1, usable as
// client and server) and returns the peer environment that loads it.
func (a *authority) issue(t *testing.T, dir, name string) []string {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	serial++
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(serial), Subject: pkix.Name{CommonName: name},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IPAddresses: []net.IP{net.ParseIP("127.0.0.1")}, DNSNames: []string{"localhost"},
		KeyUsage:    x509.KeyUsageDigitalSignature,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth, x509.ExtKeyUsageClientAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, a.cert, &key.PublicKey, a.key)
	if err != nil {
		t.Fatal(err)
	}
	keyDER, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	write := func(file string, block *pem.Block) string {
		path := filepath.Join(dir, file)
		if err := os.WriteFile(path, pem.EncodeToMemory(block), 0o600); err != nil {
			t.Fatal(err)
		}
		return path
	}
	cert := write(name+".crt", &pem.Block{Type: "CERTIFICATE", Bytes: der})
	keyPath := write(name+".key", &pem.Block{Type: "EC PRIVATE KEY", Bytes: keyDER})
	ca := filepath.Join(dir, name+"-ca.crt")
	if err := os.WriteFile(ca, a.pem, 0o600); err != nil {
		t.Fatal(err)
	}
	return []string{"ACTORIO_PEER_CERT=" + cert, "ACTORIO_PEER_KEY=" + keyPath, "ACTORIO_PEER_CA=" + ca}
}

// TestMutualTLS: a node requiring mutual TLS serves a peer whose
// certificate its CA signed, and refuses one from another CA: that peer's
// request never reaches an actor.
func TestMutualTLS(t *testing.T) {
	dir := t.TempDir()
	ours, theirs := newAuthority(t, "ours"), newAuthority(t, "theirs")
	server, _ := startPeer(t, "serve", ours.issue(t, dir, "server")...)

	_, got := startPeer(t, "ask", append(theirs.issue(t, dir, "intruder"), "ACTORIO_PEER_TARGET="+server.addr)...)
	if !strings.HasPrefix(got, "ERROR") {
		t.Fatalf("a client with another CA's certificate got %q", got)
	}
	_, got = startPeer(t, "ask", append(ours.issue(t, dir, "client"), "ACTORIO_PEER_TARGET="+server.addr)...)
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
