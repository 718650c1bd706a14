package pki

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/pem"
	"errors"
	"fmt"
	"os"
)

// ClusterID names the cluster whose CA certificate is caPEM: the first 16
// hex digits of the SHA-256 of the certificate. The CA is made once per
// data dir and every component reaches the API server through it (the
// kubeconfig carries it), so the ID is the same for every role of one
// cluster, survives restarts, and differs between clusters. The kubelet's
// Docker runtime labels its containers with it, so that `minik8s reset`
// finds the containers of one cluster only.
func ClusterID(caPEM []byte) (string, error) {
	b, _ := pem.Decode(caPEM)
	if b == nil || b.Type != "CERTIFICATE" {
		return "", errors.New("cluster id: no PEM certificate in the CA data")
	}
	sum := sha256.Sum256(b.Bytes)
	return hex.EncodeToString(sum[:8]), nil
}

// ClusterIDOf returns the ClusterID of the CA in f.
func ClusterIDOf(f Files) (string, error) {
	b, err := os.ReadFile(f.CACert)
	if err != nil {
		return "", fmt.Errorf("read CA: %w", err)
	}
	return ClusterID(b)
}
