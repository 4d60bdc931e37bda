package node

// Loading certificates reads files: it happens once, before a node starts,
// never inside an actor.

import (
	"crypto/tls"
	"crypto/x509"
	"os"
	"time"

	"github.com/pkg/errors"
)

// CertPool is a set of trusted certificate authorities.
type CertPool struct{ pool *x509.CertPool }

// NewCertPool trusts the PEM certificates in pem.
func NewCertPool(pem []byte) (*CertPool, error) {
	p := x509.NewCertPool()
	if !p.AppendCertsFromPEM(pem) {
		return nil, errors.New("node: no PEM certificate in the CA data")
	}
	return &CertPool{pool: p}, nil
}

// LoadTLS reads a node's certificate and key and the CA certificates it
// trusts, all PEM files, for Config.TLS.
func LoadTLS(certFile, keyFile, caFile string) (*TLS, error) {
	cert, err := tls.LoadX509KeyPair(certFile, keyFile)
	if err != nil {
		return nil, errors.Wrapf(err, "node: load certificate %s and key %s", certFile, keyFile)
	}
	ca, err := os.ReadFile(caFile)
	if err != nil {
		return nil, errors.Wrap(err, "node: read CA file")
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(ca) {
		return nil, errors.Errorf("node: no PEM certificate in the CA file %s", caFile)
	}
	return &TLS{Certificate: cert, CAs: &CertPool{pool: pool}}, nil
}

// check tells what would make every handshake with a peer fail, which
// gRPC would otherwise only retry in silence: it runs once, as the node
// starts, and reads the wall clock for the certificate's validity.
func (t *TLS) check() error { return t.checkAt(time.Now()) }

func (t *TLS) checkAt(now time.Time) error {
	if t.CAs == nil || len(t.Certificate.Certificate) == 0 {
		return errors.New("node: TLS needs a certificate and the CAs to trust")
	}
	if t.Certificate.PrivateKey == nil {
		return errors.New("node: the TLS certificate has no private key")
	}
	leaf := t.Certificate.Leaf
	if leaf == nil {
		var err error
		if leaf, err = x509.ParseCertificate(t.Certificate.Certificate[0]); err != nil {
			return errors.Wrap(err, "node: TLS certificate")
		}
	}
	switch {
	case now.After(leaf.NotAfter):
		return errors.Errorf("node: the TLS certificate of %q expired at %s", leaf.Subject, leaf.NotAfter.UTC().Format(time.RFC3339))
	case now.Before(leaf.NotBefore):
		return errors.Errorf("node: the TLS certificate of %q is not valid before %s", leaf.Subject, leaf.NotBefore.UTC().Format(time.RFC3339))
	}
	// A node serves its peers and dials them: its certificate must be
	// good for both, or the peers' handshakes refuse it one way.
	if len(leaf.ExtKeyUsage) > 0 {
		server, client := false, false
		for _, u := range leaf.ExtKeyUsage {
			server = server || u == x509.ExtKeyUsageServerAuth || u == x509.ExtKeyUsageAny
			client = client || u == x509.ExtKeyUsageClientAuth || u == x509.ExtKeyUsageAny
		}
		if !server || !client {
			return errors.Errorf("node: the TLS certificate of %q must allow both server and client authentication (extended key usage): a node serves its peers and dials them", leaf.Subject)
		}
	}
	return nil
}
