package app_test

import (
	"context"
	"net"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/minik8s/minik8s/app"
	"github.com/minik8s/minik8s/internal/syncbuf"
)

// The API server's net/http messages (here a failed TLS handshake) go to
// its zerolog logger, not to the standard logger's stderr.
func TestAPIServerLogsThroughZerolog(t *testing.T) {
	cfg := app.Default()
	cfg.DataDir = t.TempDir()
	cfg.APIServer.Listen = "127.0.0.1:0"
	var buf syncbuf.Buffer
	ctx, cancel := context.WithCancel(context.Background())
	a, err := app.NewAPIServer(ctx, cfg, zerolog.New(&buf))
	if err != nil {
		cancel()
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- a.Run(ctx) }()
	defer func() {
		cancel()
		<-done
	}()
	u, err := url.Parse(a.URL)
	if err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for !strings.Contains(buf.String(), "TLS handshake error") {
		if time.Now().After(deadline) {
			t.Fatalf("no TLS handshake error in the zerolog log:\n%s", buf.String())
		}
		if c, err := net.Dial("tcp", u.Host); err == nil {
			c.Close()
		}
		time.Sleep(50 * time.Millisecond)
	}
}
