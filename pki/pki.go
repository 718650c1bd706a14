// Package pki gives an API server its TLS identity: a self-signed CA and
// a serving certificate signed by it, kept in the data directory.
// kubectl and client-go send bearer tokens only over TLS, so the API
// server serves HTTPS and the kubeconfig carries the CA.
//
// The other servers of a cluster (the node agents' log servers, the
// scheduler's and controller manager's ports) get serving certificates
// from the same CA (LoadCA, CA.ServingCert), made in memory as they start,
// and the API server a client certificate for the node agents
// (KubeletClientCN). Every file is written with mode 0600: the data
// directory is for its owner only.
//
// The CA is made once and kept; the serving certificate is remade when it
// is missing, expires within 30 days, or lacks a host the server is now
// reached by. Several API servers sharing one data directory share the CA.
package pki

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"slices"
	"time"
)

// KubeletClientCN is the common name of the client certificate the API
// server presents to node agents, the only caller their log servers
// accept.
const KubeletClientCN = "system:kube-apiserver-kubelet-client"

// Files names the PEM files of a TLS identity in a directory.
type Files struct {
	CACert, CAKey, Cert, Key string
}

// In returns the file names in dir.
func In(dir string) Files {
	return Files{
		CACert: filepath.Join(dir, "ca.crt"), CAKey: filepath.Join(dir, "ca.key"),
		Cert: filepath.Join(dir, "apiserver.crt"), Key: filepath.Join(dir, "apiserver.key"),
	}
}

// Ensure makes the CA and a serving certificate valid for hosts (IP
// addresses or DNS names) as needed, and returns the server's TLS config
// and the CA certificate in PEM for kubeconfigs.
func Ensure(f Files, hosts []string) (*tls.Config, []byte, error) {
	caCert, caKey, err := ensureCA(f)
	if err != nil {
		return nil, nil, err
	}
	if !servingOK(f, hosts) {
		if err := issueServing(f, caCert, caKey, hosts); err != nil {
			return nil, nil, err
		}
	}
	pair, err := tls.LoadX509KeyPair(f.Cert, f.Key)
	if err != nil {
		return nil, nil, fmt.Errorf("load serving certificate: %w", err)
	}
	caPEM := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: caCert.Raw})
	// h2 first: clients multiplex their requests over one connection
	// instead of opening (and handshaking) one per request in flight.
	return &tls.Config{Certificates: []tls.Certificate{pair}, MinVersion: tls.VersionTLS12,
		NextProtos: []string{"h2", "http/1.1"}}, caPEM, nil
}

// DefaultHosts are the names every local API server is reached by, plus
// the host of its listen address when that is a specific one: loopback,
// the host name and the machine's IPv4 addresses (among them Docker's
// bridge gateway, where node agents forward their pods' API connections).
func DefaultHosts(listenHost string) []string {
	hosts := []string{"127.0.0.1", "::1", "localhost"}
	if h, err := os.Hostname(); err == nil && h != "" {
		hosts = append(hosts, h)
	}
	if addrs, err := net.InterfaceAddrs(); err == nil {
		for _, a := range addrs {
			if n, ok := a.(*net.IPNet); ok && n.IP.To4() != nil && !n.IP.IsLoopback() && !slices.Contains(hosts, n.IP.String()) {
				hosts = append(hosts, n.IP.String())
			}
		}
	}
	if ip := net.ParseIP(listenHost); listenHost != "" && (ip == nil || !ip.IsUnspecified()) && !slices.Contains(hosts, listenHost) {
		hosts = append(hosts, listenHost)
	}
	return hosts
}

func ensureCA(f Files) (*x509.Certificate, *ecdsa.PrivateKey, error) {
	cert, key, err := load(f.CACert, f.CAKey)
	if err == nil {
		return cert, key, nil
	}
	if !errors.Is(err, os.ErrNotExist) {
		return nil, nil, fmt.Errorf("load CA: %w", err)
	}
	key, err = ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, nil, err
	}
	tmpl := &x509.Certificate{
		SerialNumber:          serial(),
		Subject:               pkix.Name{CommonName: "minik8s-ca"},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().AddDate(10, 0, 0),
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageDigitalSignature,
		BasicConstraintsValid: true,
		IsCA:                  true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return nil, nil, err
	}
	if err := write(f.CACert, f.CAKey, der, key); err != nil {
		return nil, nil, err
	}
	cert, err = x509.ParseCertificate(der)
	return cert, key, err
}

// servingOK reports whether the serving certificate exists, is valid for
// 30 more days and covers every host.
func servingOK(f Files, hosts []string) bool {
	cert, _, err := load(f.Cert, f.Key)
	if err != nil || time.Until(cert.NotAfter) < 30*24*time.Hour {
		return false
	}
	for _, h := range hosts {
		if cert.VerifyHostname(h) != nil {
			return false
		}
	}
	return true
}

func issueServing(f Files, ca *x509.Certificate, caKey *ecdsa.PrivateKey, hosts []string) error {
	der, key, err := issue(ca, caKey, servingTemplate("minik8s-apiserver", hosts))
	if err != nil {
		return err
	}
	return write(f.Cert, f.Key, der, key)
}

// servingTemplate is a server certificate's for hosts, valid two years.
func servingTemplate(cn string, hosts []string) *x509.Certificate {
	tmpl := &x509.Certificate{
		SerialNumber: serial(),
		Subject:      pkix.Name{CommonName: cn},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().AddDate(2, 0, 0),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	for _, h := range hosts {
		if ip := net.ParseIP(h); ip != nil {
			tmpl.IPAddresses = append(tmpl.IPAddresses, ip)
		} else {
			tmpl.DNSNames = append(tmpl.DNSNames, h)
		}
	}
	return tmpl
}

// issue signs tmpl with the CA for a new key.
func issue(ca *x509.Certificate, caKey *ecdsa.PrivateKey, tmpl *x509.Certificate) ([]byte, *ecdsa.PrivateKey, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, nil, err
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca, &key.PublicKey, caKey)
	if err != nil {
		return nil, nil, err
	}
	return der, key, nil
}

// CA is a cluster's certificate authority, to issue certificates in
// memory for the servers and clients of the cluster.
type CA struct {
	cert *x509.Certificate
	key  *ecdsa.PrivateKey
	pool *x509.CertPool
}

// LoadCA loads the CA that the API server made in dir. It fails when there
// is none yet: the API server makes it, and every other role needs the
// same one.
func LoadCA(dir string) (*CA, error) {
	f := In(dir)
	cert, key, err := load(f.CACert, f.CAKey)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return nil, fmt.Errorf("no cluster CA in %s (start the API server with this data dir first): %w", dir, err)
		}
		return nil, fmt.Errorf("load CA: %w", err)
	}
	pool := x509.NewCertPool()
	pool.AddCert(cert)
	return &CA{cert: cert, key: key, pool: pool}, nil
}

// Pool is a pool holding the CA alone, to verify peers by.
func (ca *CA) Pool() *x509.CertPool { return ca.pool }

// ServingCert issues a server certificate for hosts (IP addresses or DNS
// names), named cn.
func (ca *CA) ServingCert(cn string, hosts []string) (tls.Certificate, error) {
	return ca.pair(servingTemplate(cn, hosts))
}

// ClientCert issues a client certificate for user cn in groups (the
// subject's organizations, as Kubernetes reads them).
func (ca *CA) ClientCert(cn string, groups ...string) (tls.Certificate, error) {
	return ca.pair(&x509.Certificate{
		SerialNumber: serial(),
		Subject:      pkix.Name{CommonName: cn, Organization: groups},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().AddDate(1, 0, 0),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth},
	})
}

// ClientCertPEM is ClientCert as PEM blocks, for a kubeconfig's
// client-certificate-data and client-key-data.
func (ca *CA) ClientCertPEM(cn string, groups ...string) (certPEM, keyPEM []byte, err error) {
	pair, err := ca.ClientCert(cn, groups...)
	if err != nil {
		return nil, nil, err
	}
	kder, err := x509.MarshalECPrivateKey(pair.PrivateKey.(*ecdsa.PrivateKey))
	if err != nil {
		return nil, nil, err
	}
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: pair.Certificate[0]}),
		pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kder}), nil
}

func (ca *CA) pair(tmpl *x509.Certificate) (tls.Certificate, error) {
	der, key, err := issue(ca.cert, ca.key, tmpl)
	if err != nil {
		return tls.Certificate{}, fmt.Errorf("issue certificate %s: %w", tmpl.Subject.CommonName, err)
	}
	leaf, err := x509.ParseCertificate(der)
	if err != nil {
		return tls.Certificate{}, err
	}
	return tls.Certificate{Certificate: [][]byte{der, ca.cert.Raw}, PrivateKey: key, Leaf: leaf}, nil
}

// ServerTLS serves cert and verifies the client certificates that callers
// present against the CA (a caller without one is let through, for the
// handler to answer 401).
func (ca *CA) ServerTLS(cert tls.Certificate) *tls.Config {
	return &tls.Config{Certificates: []tls.Certificate{cert}, ClientCAs: ca.pool,
		ClientAuth: tls.VerifyClientCertIfGiven, MinVersion: tls.VersionTLS12}
}

// ClientTLS presents cert and trusts servers whose certificate the CA
// signed.
func (ca *CA) ClientTLS(cert tls.Certificate) *tls.Config {
	return &tls.Config{Certificates: []tls.Certificate{cert}, RootCAs: ca.pool, MinVersion: tls.VersionTLS12}
}

func load(certFile, keyFile string) (*x509.Certificate, *ecdsa.PrivateKey, error) {
	cb, err := os.ReadFile(certFile)
	if err != nil {
		return nil, nil, err
	}
	kb, err := os.ReadFile(keyFile)
	if err != nil {
		return nil, nil, err
	}
	cp, _ := pem.Decode(cb)
	kp, _ := pem.Decode(kb)
	if cp == nil || kp == nil {
		return nil, nil, fmt.Errorf("%s or %s is not PEM", certFile, keyFile)
	}
	cert, err := x509.ParseCertificate(cp.Bytes)
	if err != nil {
		return nil, nil, err
	}
	key, err := x509.ParseECPrivateKey(kp.Bytes)
	if err != nil {
		return nil, nil, err
	}
	return cert, key, nil
}

// write saves a certificate and its key, readable by their owner only;
// each file is replaced atomically.
func write(certFile, keyFile string, der []byte, key *ecdsa.PrivateKey) error {
	kder, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		return err
	}
	if err := writeAtomic(keyFile, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kder}), 0o600); err != nil {
		return err
	}
	return writeAtomic(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600)
}

func writeAtomic(path string, b []byte, mode os.FileMode) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), ".tmp-"+filepath.Base(path))
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(b); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Chmod(mode); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}

func serial() *big.Int {
	n, _ := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 62))
	return n
}
