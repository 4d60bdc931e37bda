package node

// Loading certificates reads files: it happens once, before a node starts,
// never inside an actor.

import (
	"crypto/tls"
	"crypto/x509"
	"os"

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
	pool, err := NewCertPool(ca)
	if err != nil {
		return nil, errors.Wrapf(err, "node: %s", caFile)
	}
	return &TLS{Certificate: cert, CAs: pool}, nil
}
