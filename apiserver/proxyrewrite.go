package apiserver

import (
	"compress/gzip"
	"io"
	"mime"
	"net/http"
	"net/url"
	"path"
	"strings"

	"golang.org/x/net/html"
	"golang.org/x/net/html/atom"
)

// rewriteProxyResponse keeps a proxied backend's links inside the proxy,
// as kube-apiserver's proxy transport does: a Location header, or the
// URL attributes of an HTML page (text/html, plain or gzip), that point
// at the backend itself (no host, or its own host, or the host the client
// asked for) with an absolute path get the proxy's prefix
// (/api/v1/namespaces/ns/pods/name:port/proxy). Relative links need
// nothing. CORS headers of the backend are dropped: the API server's
// origin is not the backend's. An upgrade passes untouched.
func rewriteProxyResponse(resp *http.Response, prefix, backendHost, requestHost string) {
	if resp.StatusCode == http.StatusSwitchingProtocols {
		return
	}
	for _, h := range []string{"Access-Control-Allow-Credentials", "Access-Control-Allow-Headers",
		"Access-Control-Allow-Methods", "Access-Control-Allow-Origin"} {
		resp.Header.Del(h)
	}
	rw := func(u string) string { return rewriteProxyURL(u, prefix, backendHost, requestHost) }
	if loc := resp.Header.Get("Location"); loc != "" {
		resp.Header.Set("Location", rw(loc))
		return
	}
	if mt, _, _ := mime.ParseMediaType(resp.Header.Get("Content-Type")); mt != "text/html" {
		return
	}
	enc := resp.Header.Get("Content-Encoding")
	if enc != "" && enc != "gzip" {
		return // an encoding this proxy does not read: links stay as they are
	}
	// The page is rewritten as it streams through; closing the new body
	// (the proxy does once the client is served or gone) ends the work.
	orig := resp.Body
	pr, pw := io.Pipe()
	go func() {
		defer orig.Close()
		var src io.Reader = orig
		var dst io.Writer = pw
		var gzw *gzip.Writer
		if enc == "gzip" {
			gzr, err := gzip.NewReader(orig)
			if err != nil {
				pw.CloseWithError(err)
				return
			}
			src, gzw = gzr, gzip.NewWriter(pw)
			dst = gzw
		}
		err := rewriteHTML(src, dst, rw)
		if gzw != nil && err == nil {
			err = gzw.Close()
		}
		pw.CloseWithError(err)
	}()
	resp.Body = pr
	resp.Header.Del("Content-Length")
	resp.ContentLength = -1
}

// rewriteProxyURL rewrites one link of a proxied page (see
// rewriteProxyResponse); anything it cannot parse stays as it is.
func rewriteProxyURL(s, prefix, backendHost, requestHost string) string {
	u, err := url.Parse(s)
	if err != nil {
		return s
	}
	if u.Host != "" && u.Host != backendHost && u.Host != requestHost {
		return s // another site
	}
	if !strings.HasPrefix(u.Path, "/") {
		return s // relative: it resolves under the proxy already
	}
	if u.Host == backendHost {
		u.Scheme, u.Host = "", "" // the backend's own address means nothing to the client
	}
	if u.Path == prefix || strings.HasPrefix(u.Path, prefix+"/") {
		return u.String()
	}
	p := path.Join(prefix, u.Path)
	if strings.HasSuffix(u.Path, "/") {
		p += "/"
	}
	u.Path, u.RawPath = p, ""
	return u.String()
}

// htmlURLAttrs are the attributes that hold URLs, by element (HTML 4 and
// 5).
var htmlURLAttrs = map[atom.Atom][]string{
	atom.A: {"href"}, atom.Applet: {"codebase"}, atom.Area: {"href"}, atom.Audio: {"src"},
	atom.Base: {"href"}, atom.Blockquote: {"cite"}, atom.Body: {"background"}, atom.Button: {"formaction"},
	atom.Command: {"icon"}, atom.Del: {"cite"}, atom.Embed: {"src"}, atom.Form: {"action"},
	atom.Frame: {"longdesc", "src"}, atom.Head: {"profile"}, atom.Html: {"manifest"},
	atom.Iframe: {"longdesc", "src"}, atom.Img: {"longdesc", "src", "usemap"},
	atom.Input: {"src", "usemap", "formaction"}, atom.Ins: {"cite"}, atom.Link: {"href"},
	atom.Object: {"classid", "codebase", "data", "usemap"}, atom.Q: {"cite"}, atom.Script: {"src"},
	atom.Source: {"src"}, atom.Video: {"poster", "src"},
}

// rewriteHTML copies a page from r to w, passing the URL attributes of its
// start tags through rw and everything else byte for byte.
func rewriteHTML(r io.Reader, w io.Writer, rw func(string) string) error {
	z := html.NewTokenizer(r)
	for {
		tt := z.Next()
		if tt == html.ErrorToken {
			if err := z.Err(); err != io.EOF {
				return err
			}
			return nil
		}
		raw := z.Raw()
		var err error
		if tt == html.StartTagToken || tt == html.SelfClosingTagToken {
			raw = append([]byte(nil), raw...) // Token may rewrite the raw bytes in place
			tok := z.Token()
			if attrs, ok := htmlURLAttrs[tok.DataAtom]; ok {
				for i, a := range tok.Attr {
					for _, name := range attrs {
						if a.Namespace == "" && a.Key == name {
							tok.Attr[i].Val = rw(a.Val)
						}
					}
				}
				_, err = io.WriteString(w, tok.String())
			} else {
				_, err = w.Write(raw)
			}
		} else {
			_, err = w.Write(raw)
		}
		if err != nil {
			return err
		}
	}
}
