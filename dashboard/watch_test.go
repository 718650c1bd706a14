package dashboard_test

import (
	"bufio"
	"encoding/json"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"strings"
	"testing"
)

func TestWatchMux(t *testing.T) {
	d := start(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Query().Get("watch") != "true" {
			http.Error(w, "want a watch", http.StatusBadRequest)
			return
		}
		switch r.URL.Path {
		case "/api/v1/pods": // one event, then the server ends the watch
			io.WriteString(w, `{"type":"ADDED","object":{"metadata":{"name":"p","resourceVersion":"`+r.URL.Query().Get("resourceVersion")+`1"}}}`+"\n")
		case "/api/v1/nodes": // runs until the client goes
			w.(http.Flusher).Flush()
			<-r.Context().Done()
		case "/api/v1/leases":
			w.WriteHeader(http.StatusGone)
			io.WriteString(w, `{"kind":"Status","code":410,"message":"too old resource version: 1"}`)
		}
	}))
	login := d.LoginURL()
	base := login[:strings.Index(login, "/login")]
	jar, _ := cookiejar.New(nil)
	user := &http.Client{Jar: jar}
	get(t, user, login, nil)

	type line struct {
		W       string          `json:"w"`
		Event   json.RawMessage `json:"event"`
		End     bool            `json:"end"`
		Code    int             `json:"code"`
		Message string          `json:"message"`
	}
	watch := func(ws ...string) []line {
		q := url.Values{"w": ws}
		resp, err := user.Get(base + "/watch?" + q.Encode())
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var out []line
		sc := bufio.NewScanner(resp.Body)
		for sc.Scan() {
			var l line
			if err := json.Unmarshal(sc.Bytes(), &l); err != nil {
				t.Fatalf("line %q: %v", sc.Text(), err)
			}
			out = append(out, l)
		}
		return out
	}

	got := watch("nodes,/api/v1/nodes,5", "pods,/api/v1/pods,7")
	if len(got) != 2 || got[0].W != "pods" || !strings.Contains(string(got[0].Event), `"resourceVersion":"71"`) ||
		got[1].W != "pods" || !got[1].End || got[1].Code != http.StatusOK {
		t.Fatalf("got %+v: want the pods event from rv 7, then the end of the pods watch (and of the response)", got)
	}
	got = watch("nodes,/api/v1/nodes,5", "leases,/api/v1/leases,1")
	if len(got) != 1 || got[0].W != "leases" || got[0].Code != http.StatusGone || got[0].Message != "too old resource version: 1" {
		t.Fatalf("got %+v: want the leases watch ended with 410 and the Status message", got)
	}
	if code, _ := get(t, user, base+"/watch?w=x,/metrics,1", nil); code != http.StatusBadRequest {
		t.Fatalf("a watch outside /api: got %d, want 400", code)
	}
}
