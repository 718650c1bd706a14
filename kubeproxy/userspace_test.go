package kubeproxy

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"syscall"
	"testing"

	"github.com/rs/zerolog"

	"github.com/minik8s/minik8s/api"
)

// TestUserspace opens a node port over two endpoints: connections take
// turns, a port without endpoints refuses, and Cleanup closes it.
func TestUserspace(t *testing.T) {
	var eps []netip.AddrPort
	for i := range 2 {
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { fmt.Fprint(w, i) }))
		defer srv.Close()
		eps = append(eps, netip.MustParseAddrPort(srv.Listener.Addr().String()))
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := uint16(ln.Addr().(*net.TCPAddr).Port)
	ln.Close() // a free port for the node port
	u := NewUserspace("127.0.0.1", zerolog.Nop())
	defer u.Cleanup()
	sp := ServicePort{Namespace: "ns", Service: "web", Protocol: api.ProtocolTCP, NodePort: port, Endpoints: eps}
	if err := u.Sync(context.Background(), []ServicePort{sp}); err != nil {
		t.Fatal(err)
	}
	url := fmt.Sprintf("http://127.0.0.1:%d/", port)
	get := func() (string, error) {
		resp, err := (&http.Client{Transport: &http.Transport{DisableKeepAlives: true}}).Get(url)
		if err != nil {
			return "", err
		}
		defer resp.Body.Close()
		b, err := io.ReadAll(resp.Body)
		return string(b), err
	}
	seen := map[string]int{}
	for range 4 {
		body, err := get()
		if err != nil {
			t.Fatal(err)
		}
		seen[body]++
	}
	if seen["0"] != 2 || seen["1"] != 2 {
		t.Errorf("answers %v, want two from each endpoint", seen)
	}
	sp.Endpoints = nil
	if err := u.Sync(context.Background(), []ServicePort{sp}); err != nil {
		t.Fatal(err)
	}
	if _, err := get(); !errors.Is(err, syscall.ECONNREFUSED) {
		t.Errorf("without endpoints: %v, want connection refused", err)
	}
}
