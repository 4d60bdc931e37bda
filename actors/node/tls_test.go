package node_test

import (
	"path/filepath"
	"strings"
	"testing"

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
