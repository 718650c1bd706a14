package dashboard

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"crypto/tls"
	"crypto/x509"
	"embed"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"os"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/rs/zerolog"

	"github.com/minik8s/minik8s/internal/httpserver"
	"github.com/minik8s/minik8s/kubeconfig"
)

//go:embed web
var web embed.FS

// cookieName is the session cookie.
const cookieName = "minik8s-dashboard"

// Config configures the dashboard.
type Config struct {
	// Listen is the address to serve on; keep it on loopback (the default,
	// 127.0.0.1:0, picks a free port).
	Listen string `yaml:"listen"`
}

// DefaultConfig returns a free port on loopback.
func DefaultConfig() Config { return Config{Listen: "127.0.0.1:0"} }

// Deps is what the dashboard talks to.
type Deps struct {
	// Kubeconfig is the kubeconfig whose current context the dashboard's
	// backend uses to reach the API server (server, CA, token).
	Kubeconfig string
	// KeyFile holds the key that signs session cookies, created on first
	// use, so that a session outlives a restart; "" keeps the key in
	// memory (sessions end with the process).
	KeyFile string
	// Replicas maps a leader-elected role ("scheduler",
	// "controller-manager") to the base URL of its port (which serves
	// /replicas); roles whose port is off are absent.
	Replicas map[string]string
}

// Server is the dashboard's HTTP server.
type Server struct {
	ln    net.Listener
	e     *echo.Echo
	log   zerolog.Logger
	api   *url.URL
	token string
	rt    http.RoundTripper
	roles map[string]*url.URL
	key   []byte // signs session cookies

	mu     sync.Mutex
	secret string // the one-time login secret; "" once used
}

// New reads the kubeconfig and listens on cfg.Listen; Run serves.
func New(cfg Config, deps Deps, log zerolog.Logger) (*Server, error) {
	kc, err := kubeconfig.Load(deps.Kubeconfig)
	if err != nil {
		return nil, err
	}
	r, err := kc.Resolve()
	if err != nil {
		return nil, err
	}
	api, err := url.Parse(r.Cluster.Server)
	if err != nil {
		return nil, fmt.Errorf("parse API server URL: %w", err)
	}
	tr := http.DefaultTransport.(*http.Transport).Clone()
	if len(r.Cluster.CertificateAuthorityData) > 0 {
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(r.Cluster.CertificateAuthorityData) {
			return nil, errors.New("kubeconfig: certificate-authority-data holds no PEM certificate")
		}
		// The same CA signs the API server's and the roles' certificates.
		tr.TLSClientConfig = &tls.Config{RootCAs: pool}
	}
	s := &Server{
		log: log, api: api, token: r.Token, rt: tr,
		roles:  map[string]*url.URL{},
		secret: randomHex(16),
	}
	if s.key, err = loadKey(deps.KeyFile); err != nil {
		return nil, err
	}
	for role, raw := range deps.Replicas {
		u, err := url.Parse(raw)
		if err != nil || u.Host == "" {
			return nil, fmt.Errorf("replica endpoint of %s %q: want a URL", role, raw)
		}
		s.roles[role] = u
	}
	if cfg.Listen == "" {
		cfg.Listen = DefaultConfig().Listen
	}
	s.ln, err = net.Listen("tcp", cfg.Listen)
	if err != nil {
		return nil, fmt.Errorf("dashboard: listen on %s: %w", cfg.Listen, err)
	}
	s.e = s.routes()
	return s, nil
}

// Addr is the address the dashboard listens on.
func (s *Server) Addr() net.Addr { return s.ln.Addr() }

// LoginURL is the URL to open, once, in a browser: it carries the
// one-time secret that sets the session cookie.
func (s *Server) LoginURL() string {
	return "http://" + s.host() + "/login?secret=" + s.secret
}

// host is the dashboard's host:port as a browser names it.
func (s *Server) host() string {
	a := s.ln.Addr().(*net.TCPAddr)
	ip := a.IP
	if ip == nil || ip.IsUnspecified() {
		ip = net.IPv4(127, 0, 0, 1)
	}
	return net.JoinHostPort(ip.String(), fmt.Sprint(a.Port))
}

func (s *Server) routes() *echo.Echo {
	e := echo.New()
	e.HideBanner, e.HidePort = true, true
	e.Use(s.checkHost)
	e.GET("/login", s.login)
	static, _ := fs.Sub(web, "web")
	auth := s.requireSession
	e.GET("/*", echo.WrapHandler(http.FileServer(http.FS(static))), auth)
	e.GET("/dashboard/config", s.config, auth)
	e.Any("/k8s/*", echo.WrapHandler(s.proxy(s.api, "/k8s")), auth)
	e.GET("/watch", s.watchMux, auth)
	e.Any("/replicas/:role", s.replica, auth)
	e.Any("/replicas/:role/*", s.replica, auth)
	e.POST("/nodeagents/:node/:action", s.nodeAgent, auth)
	return e
}

// checkHost refuses requests that name another host (DNS rebinding) or
// come from another site (CSRF).
func (s *Server) checkHost(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		r := c.Request()
		if !s.ownHost(r.Host) {
			return c.String(http.StatusMisdirectedRequest, "this dashboard answers only to its own address, e.g. "+s.host()+"\n")
		}
		if o := r.Header.Get("Origin"); o != "" && o != "null" && o != "http://"+r.Host {
			return c.String(http.StatusForbidden, "cross-origin request refused\n")
		}
		// Browsers send Sec-Fetch-Site; "same-site" includes other ports of
		// 127.0.0.1, which are other applications.
		switch r.Header.Get("Sec-Fetch-Site") {
		case "", "same-origin", "none":
		default:
			return c.String(http.StatusForbidden, "cross-site request refused\n")
		}
		return next(c)
	}
}

// ownHost reports whether host (a Host header) names this server: its
// port, on its listen IP or on a loopback name.
func (s *Server) ownHost(host string) bool {
	h, p, err := net.SplitHostPort(host)
	if err != nil {
		return false
	}
	a := s.ln.Addr().(*net.TCPAddr)
	if p != fmt.Sprint(a.Port) {
		return false
	}
	if h == "localhost" {
		return true
	}
	ip := net.ParseIP(h)
	return ip != nil && (ip.IsLoopback() || ip.Equal(a.IP))
}

// login trades the one-time secret for a session cookie.
func (s *Server) login(c echo.Context) error {
	got := c.QueryParam("secret")
	s.mu.Lock()
	ok := s.secret != "" && subtle.ConstantTimeCompare([]byte(got), []byte(s.secret)) == 1
	if ok {
		s.secret = "" // once
	}
	s.mu.Unlock()
	if !ok {
		s.log.Warn().Str("remote", c.RealIP()).Msg("dashboard login refused: wrong or used secret")
		return c.String(http.StatusUnauthorized, "this login link is wrong or was used already: restart minik8s for a new one\n")
	}
	c.SetCookie(&http.Cookie{
		Name: cookieName, Value: s.sign(randomHex(16)), Path: "/",
		HttpOnly: true, SameSite: http.SameSiteStrictMode,
		Expires: time.Now().Add(7 * 24 * time.Hour),
	})
	return c.Redirect(http.StatusSeeOther, "/")
}

func (s *Server) requireSession(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		ck, err := c.Cookie(cookieName)
		if err != nil || !s.valid(ck.Value) {
			return c.String(http.StatusUnauthorized, "open the dashboard with the login URL minik8s printed\n")
		}
		return next(c)
	}
}

func (s *Server) config(c echo.Context) error {
	roles := make([]string, 0, len(s.roles))
	for r := range s.roles {
		roles = append(roles, r)
	}
	sort.Strings(roles)
	return c.JSON(http.StatusOK, map[string]any{"replicaRoles": roles})
}

func (s *Server) replica(c echo.Context) error {
	u, ok := s.roles[c.Param("role")]
	if !ok {
		return c.String(http.StatusNotFound, "no replica endpoint for "+c.Param("role")+" (start it with its port on)\n")
	}
	s.proxy(u.JoinPath("replicas"), "/replicas/"+c.Param("role")).ServeHTTP(c.Response(), c.Request())
	return nil
}

// nodeAgent forwards a node agent control (stop, start, freeze,
// unfreeze) to the kubelet that runs the node, found where the Node says
// its kubelet listens (its InternalIP and daemonEndpoints), with the
// admin token, as a replica control goes to a role's port. Only a loopback
// address is used, and the kubelet's certificate must come from the
// cluster CA, so the token goes to no one else.
func (s *Server) nodeAgent(c echo.Context) error {
	node := c.Param("node")
	req, err := http.NewRequestWithContext(c.Request().Context(), http.MethodGet,
		s.api.JoinPath("api/v1/nodes", node).String(), nil)
	if err != nil {
		return err
	}
	if s.token != "" {
		req.Header.Set("Authorization", "Bearer "+s.token)
	}
	resp, err := s.rt.RoundTrip(req)
	if err != nil {
		return c.String(http.StatusBadGateway, "dashboard: "+err.Error()+"\n")
	}
	defer resp.Body.Close()
	var n struct {
		Status struct {
			Addresses []struct {
				Type    string `json:"type"`
				Address string `json:"address"`
			} `json:"addresses"`
			DaemonEndpoints struct {
				KubeletEndpoint struct {
					Port int `json:"Port"`
				} `json:"kubeletEndpoint"`
			} `json:"daemonEndpoints"`
		} `json:"status"`
	}
	if resp.StatusCode != http.StatusOK {
		body, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
		return c.Blob(resp.StatusCode, "application/json", body)
	}
	if err := json.NewDecoder(resp.Body).Decode(&n); err != nil {
		return c.String(http.StatusBadGateway, "dashboard: read node: "+err.Error()+"\n")
	}
	var ip net.IP
	for _, a := range n.Status.Addresses {
		if a.Type == "InternalIP" {
			ip = net.ParseIP(a.Address)
		}
	}
	port := n.Status.DaemonEndpoints.KubeletEndpoint.Port
	if ip == nil || !ip.IsLoopback() || port == 0 {
		return c.String(http.StatusNotFound, "node "+node+" has no node agent on this machine to control\n")
	}
	target := &url.URL{Scheme: "https", Host: net.JoinHostPort(ip.String(), strconv.Itoa(port))}
	s.proxy(target, "").ServeHTTP(c.Response(), c.Request())
	return nil
}

// proxy forwards requests under prefix to target with the dashboard's
// credential; the browser's cookie stays here. Responses stream as they
// come, so that watches do.
func (s *Server) proxy(target *url.URL, prefix string) http.Handler {
	return &httputil.ReverseProxy{
		Rewrite: func(pr *httputil.ProxyRequest) {
			pr.SetURL(target)
			pr.Out.URL.Path = strings.TrimSuffix("/"+strings.Trim(target.Path, "/"), "/") + strings.TrimPrefix(pr.In.URL.Path, prefix)
			pr.Out.URL.RawPath = ""
			pr.Out.Host = target.Host
			for _, h := range []string{"Cookie", "Origin", "Referer", "Authorization"} {
				pr.Out.Header.Del(h)
			}
			if s.token != "" {
				pr.Out.Header.Set("Authorization", "Bearer "+s.token)
			}
			pr.Out.Header.Set("User-Agent", "minik8s-dashboard")
		},
		Transport:     s.rt,
		FlushInterval: -1,
		ErrorHandler: func(w http.ResponseWriter, r *http.Request, err error) {
			if !errors.Is(err, context.Canceled) {
				s.log.Debug().Err(err).Str("path", r.URL.Path).Msg("dashboard proxy")
			}
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusBadGateway)
			fmt.Fprintf(w, `{"kind":"Status","apiVersion":"v1","status":"Failure","reason":"ServiceUnavailable","code":502,"message":%q}`,
				"dashboard: "+err.Error())
		},
	}
}

// Run serves until ctx is done, then shuts down; it returns nil then.
func (s *Server) Run(ctx context.Context) error {
	return httpserver.New(httpserver.DefaultConfig(), s.e, s.log).Run(ctx, s.ln, 2*time.Second)
}

// sign returns id with its MAC: a session cookie.
func (s *Server) sign(id string) string {
	m := hmac.New(sha256.New, s.key)
	m.Write([]byte(id))
	return id + "." + hex.EncodeToString(m.Sum(nil))
}

// valid reports whether cookie was made by sign with this key.
func (s *Server) valid(cookie string) bool {
	id, _, ok := strings.Cut(cookie, ".")
	return ok && hmac.Equal([]byte(cookie), []byte(s.sign(id)))
}

// loadKey reads the session key from path, creating it if absent.
func loadKey(path string) ([]byte, error) {
	if path == "" {
		return []byte(randomHex(32)), nil
	}
	b, err := os.ReadFile(path)
	if err == nil && len(b) >= 32 {
		return b, nil
	}
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("read dashboard key: %w", err)
	}
	b = []byte(randomHex(32))
	if err := os.WriteFile(path, b, 0o600); err != nil {
		return nil, fmt.Errorf("write dashboard key: %w", err)
	}
	return b, nil
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b) // never fails (crypto/rand's contract since Go 1.24)
	return hex.EncodeToString(b)
}
