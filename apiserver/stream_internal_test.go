package apiserver

import (
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"strings"
	"testing"
	"time"
)

// TestStallWriterEndsAProxiedStream: a followed log is proxied from the
// kubelet through a stallWriter; a client that never reads ends the proxy
// within the stall timeout, and with it the stream from the kubelet.
func TestStallWriterEndsAProxiedStream(t *testing.T) {
	t.Parallel()
	backendDone := make(chan struct{})
	backend := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer close(backendDone)
		line := []byte(strings.Repeat("log line ", 1<<10) + "\n")
		for r.Context().Err() == nil {
			if _, err := w.Write(line); err != nil {
				return
			}
			w.(http.Flusher).Flush()
		}
	}))
	defer backend.Close()
	target, _ := url.Parse(backend.URL)

	const stall = 500 * time.Millisecond
	handlerDone := make(chan struct{})
	front := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer close(handlerDone)
		sw := newStallWriter(w, stall)
		defer sw.Done()
		proxy := &httputil.ReverseProxy{
			Rewrite:       func(pr *httputil.ProxyRequest) { pr.SetURL(target) },
			FlushInterval: -1,
		}
		proxy.ServeHTTP(sw, r)
	}))
	defer front.Close()

	conn, err := net.Dial("tcp", front.Listener.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	_ = conn.(*net.TCPConn).SetReadBuffer(4 << 10)
	fmt.Fprintf(conn, "GET /containerLogs/default/web/c?follow=true HTTP/1.1\r\nHost: x\r\n\r\n")
	// Never read.
	for name, done := range map[string]chan struct{}{"the handler": handlerDone, "the kubelet stream": backendDone} {
		select {
		case <-done:
		case <-time.After(20 * stall):
			t.Fatalf("%s still runs %v after the client stopped reading (stall timeout %v)", name, 20*stall, stall)
		}
	}
}
