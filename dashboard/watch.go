package dashboard

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"

	"github.com/labstack/echo/v4"
)

// watchMux relays several watches of the API server in one response.
//
// A browser opens at most six HTTP/1.1 connections to one host, and a
// watch holds one for as long as it runs: with six watches open, the
// page's actions would queue forever. So the page asks for all its
// watches in one request, GET /watch?w=NAME,PATH,RV&w=..., and this
// handler opens each watch on the API server (PATH?watch=true&
// resourceVersion=RV) and writes each of their lines as it comes, as
// {"w":NAME,"event":LINE}. It adds nothing and keeps nothing: the page
// still lists and watches as an informer does. The first watch to end
// (the server closed it, or answered an error such as 410 Gone) ends the
// response with {"w":NAME,"end":true,"code":CODE,"message":...}; the page
// then watches again from the resourceVersions it has (after listing
// again what got 410).
func (s *Server) watchMux(c echo.Context) error {
	type watch struct{ name, path, rv string }
	var ws []watch
	for _, w := range c.QueryParams()["w"] {
		parts := strings.SplitN(w, ",", 3)
		if len(parts) != 3 || !strings.HasPrefix(parts[1], "/api") {
			return c.String(http.StatusBadRequest, "w must be NAME,/api...PATH,RESOURCEVERSION\n")
		}
		ws = append(ws, watch{parts[0], parts[1], parts[2]})
	}
	if len(ws) == 0 {
		return c.String(http.StatusBadRequest, "no w parameter\n")
	}
	ctx, cancel := context.WithCancel(c.Request().Context())
	defer cancel()
	resp := c.Response()
	resp.Header().Set("Content-Type", "application/x-ndjson")
	resp.WriteHeader(http.StatusOK)
	resp.Flush()

	var mu sync.Mutex // one writer at a time; none after the first end
	ended := false
	write := func(line []byte, end bool) {
		mu.Lock()
		defer mu.Unlock()
		if ended {
			return
		}
		_, _ = resp.Write(append(line, '\n'))
		resp.Flush()
		if end {
			ended = true
			cancel()
		}
	}
	var wg sync.WaitGroup
	for _, w := range ws {
		wg.Add(1)
		go func() {
			defer wg.Done()
			code, msg := s.relay(ctx, w.path, w.rv, func(ev []byte) {
				write(fmt.Appendf(nil, `{"w":%q,"event":%s}`, w.name, ev), false)
			})
			end, _ := json.Marshal(map[string]any{"w": w.name, "end": true, "code": code, "message": msg})
			write(end, true)
		}()
	}
	wg.Wait()
	return nil
}

// relay watches path from rv, calling send with each event line, until
// the watch ends; it returns the HTTP status and why it ended.
func (s *Server) relay(ctx context.Context, path, rv string, send func([]byte)) (int, string) {
	u := *s.api
	u.Path = strings.TrimSuffix(u.Path, "/") + path
	u.RawQuery = url.Values{"watch": {"true"}, "allowWatchBookmarks": {"true"}, "resourceVersion": {rv}}.Encode()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return http.StatusBadRequest, err.Error()
	}
	if s.token != "" {
		req.Header.Set("Authorization", "Bearer "+s.token)
	}
	req.Header.Set("User-Agent", "minik8s-dashboard")
	resp, err := s.rt.RoundTrip(req)
	if err != nil {
		return http.StatusBadGateway, err.Error()
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		b, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
		var st struct{ Message string }
		if json.Unmarshal(b, &st) != nil || st.Message == "" {
			st.Message = strings.TrimSpace(string(b))
		}
		return resp.StatusCode, st.Message
	}
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 64<<10), 16<<20)
	for sc.Scan() {
		if line := sc.Bytes(); len(line) > 0 && json.Valid(line) {
			send(line)
		}
	}
	if err := sc.Err(); err != nil {
		return http.StatusBadGateway, err.Error()
	}
	return http.StatusOK, "the API server ended the watch"
}
