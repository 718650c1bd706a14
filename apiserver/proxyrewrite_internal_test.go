package apiserver

import (
	"bytes"
	"compress/gzip"
	"io"
	"net/http"
	"strings"
	"testing"
)

func TestRewriteProxyURL(t *testing.T) {
	t.Parallel()
	const prefix = "/api/v1/namespaces/ns/pods/web:8080/proxy"
	for in, want := range map[string]string{
		"/target":                          prefix + "/target",
		"/dir/":                            prefix + "/dir/",
		"/":                                prefix + "/",
		"http://10.0.0.5:8080/x?a=b":       prefix + "/x?a=b", // the backend's own address
		"http://localhost:8001/x":          "http://localhost:8001" + prefix + "/x",
		"https://example.com/x":            "https://example.com/x", // another site
		"relative/path":                    "relative/path",
		prefix + "/already":                prefix + "/already",
		"/api/v1/namespaces/ns/pods/other": prefix + "/api/v1/namespaces/ns/pods/other",
		"%zz":                              "%zz", // unparsable
	} {
		if got := rewriteProxyURL(in, prefix, "10.0.0.5:8080", "localhost:8001"); got != want {
			t.Errorf("rewriteProxyURL(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestRewriteProxyResponse(t *testing.T) {
	t.Parallel()
	const prefix = "/p/proxy"
	page := `<!DOCTYPE html><HTML><head><link href="/s.css" rel=stylesheet></head>` +
		`<body><a href="/a">A</a> <a href="b">B</a> <img src="http://10.0.0.5:8080/i.png"/>` +
		`<p data-x="/keep">text &amp; more</p><script>var u = "/not-rewritten";</script></body></HTML>`
	// Tags with URL attributes are written anew (lower case, quoted);
	// everything else byte for byte.
	want := `<!DOCTYPE html><html><head><link href="/p/proxy/s.css" rel="stylesheet"></head>` +
		`<body><a href="/p/proxy/a">A</a> <a href="b">B</a> <img src="/p/proxy/i.png"/>` +
		`<p data-x="/keep">text &amp; more</p><script>var u = "/not-rewritten";</script></body></HTML>`
	for _, gz := range []bool{false, true} {
		body := []byte(page)
		h := http.Header{"Content-Type": {"text/html; charset=utf-8"}, "Content-Length": {"999"},
			"Access-Control-Allow-Origin": {"*"}}
		if gz {
			var b bytes.Buffer
			w := gzip.NewWriter(&b)
			_, _ = w.Write(body)
			_ = w.Close()
			body = b.Bytes()
			h.Set("Content-Encoding", "gzip")
		}
		resp := &http.Response{StatusCode: 200, Header: h, Body: io.NopCloser(bytes.NewReader(body))}
		rewriteProxyResponse(resp, prefix, "10.0.0.5:8080", "api:6443")
		var r io.Reader = resp.Body
		if gz {
			zr, err := gzip.NewReader(resp.Body)
			if err != nil {
				t.Fatal(err)
			}
			r = zr
		}
		got, err := io.ReadAll(r)
		if err != nil {
			t.Fatal(err)
		}
		if string(got) != want {
			t.Errorf("gzip %v: rewritten page\n%s\nwant\n%s", gz, got, want)
		}
		if h.Get("Content-Length") != "" || h.Get("Access-Control-Allow-Origin") != "" {
			t.Errorf("gzip %v: headers left: %v", gz, h)
		}
	}

	// A redirect's Location; other content passes untouched.
	resp := &http.Response{StatusCode: 302, Header: http.Header{"Location": {"/login"}}, Body: http.NoBody}
	rewriteProxyResponse(resp, prefix, "10.0.0.5:8080", "api:6443")
	if got := resp.Header.Get("Location"); got != "/p/proxy/login" {
		t.Errorf("Location rewritten to %q", got)
	}
	resp = &http.Response{StatusCode: 200, Header: http.Header{"Content-Type": {"application/json"}},
		Body: io.NopCloser(strings.NewReader(`{"href":"/x"}`))}
	rewriteProxyResponse(resp, prefix, "10.0.0.5:8080", "api:6443")
	if b, _ := io.ReadAll(resp.Body); string(b) != `{"href":"/x"}` {
		t.Errorf("JSON body changed: %s", b)
	}
}

func TestSplitSchemeNamePort(t *testing.T) {
	t.Parallel()
	for in, want := range map[string][4]string{
		"web":             {"", "web", "", "ok"},
		"web:8080":        {"", "web", "8080", "ok"},
		"https:web:8443":  {"https", "web", "8443", "ok"},
		"http:web:":       {"http", "web", "", "ok"},
		"ftp:web:21":      {"", "", "", ""},
		":80":             {"", "", "", ""},
		"a:b:c:d":         {"", "", "", ""},
		"https:web:named": {"https", "web", "named", "ok"},
	} {
		s, n, p, ok := splitSchemeNamePort(in)
		got := [4]string{s, n, p, map[bool]string{true: "ok"}[ok]}
		if got != want {
			t.Errorf("splitSchemeNamePort(%q) = %q, want %q", in, got, want)
		}
	}
}
