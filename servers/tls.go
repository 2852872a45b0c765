package servers

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"fmt"
	"math/big"
	"net"
	"time"
)

// TLSPage is a loopback TLS listener that serves the lab's pages (the same
// as foo's) for any host name, with a throwaway self-signed certificate made
// at start. Chromium maps a page origin such as https://app.example.com to it
// with --host-resolver-rules and trusts the certificate by its SPKI hash.
type TLSPage struct {
	// Port is the loopback port it listens on.
	Port int
	// SPKIHash is the base64 SHA-256 of the certificate's public key, the
	// form --ignore-certificate-errors-spki-list takes.
	SPKIHash string
	// Cert is the certificate (DER), for browsers that trust a certificate
	// for a host rather than by its key's hash (Firefox).
	Cert []byte
}

// ServeTLS starts a TLS listener on 127.0.0.1 that serves the lab's pages.
// It stops with Close. Call it before the lab takes requests.
func (l *Lab) ServeTLS(ctx context.Context) (*TLSPage, error) {
	cert, spki, err := selfSigned()
	if err != nil {
		return nil, err
	}
	lc := net.ListenConfig{}
	ln, err := lc.Listen(ctx, "tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("tls page: cannot listen on 127.0.0.1: %w", err)
	}
	// HTTP/1.1 only, through the lab's own reader like every listener.
	cfg := &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12, NextProtos: []string{"http/1.1"}}
	l.listen(tls.NewListener(ln, cfg), "tls", l.serveLab)
	return &TLSPage{Port: ln.Addr().(*net.TCPAddr).Port, SPKIHash: spki, Cert: cert.Certificate[0]}, nil
}

// selfSigned makes a certificate valid for any name for one day.
func selfSigned() (tls.Certificate, string, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return tls.Certificate{}, "", fmt.Errorf("tls page: generating a key: %w", err)
	}
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 62))
	if err != nil {
		return tls.Certificate{}, "", fmt.Errorf("tls page: serial number: %w", err)
	}
	tmpl := &x509.Certificate{
		SerialNumber:          serial,
		Subject:               pkix.Name{CommonName: "corslab throwaway page certificate"},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(24 * time.Hour),
		KeyUsage:              x509.KeyUsageDigitalSignature,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true,
		DNSNames:              []string{"*"},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return tls.Certificate{}, "", fmt.Errorf("tls page: creating the certificate: %w", err)
	}
	pub, err := x509.MarshalPKIXPublicKey(&key.PublicKey)
	if err != nil {
		return tls.Certificate{}, "", fmt.Errorf("tls page: encoding the public key: %w", err)
	}
	sum := sha256.Sum256(pub)
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}, base64.StdEncoding.EncodeToString(sum[:]), nil
}
