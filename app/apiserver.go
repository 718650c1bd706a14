package app

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"syscall"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/rs/zerolog"

	"github.com/minik8s/minik8s/apiserver"
	"github.com/minik8s/minik8s/apiserver/authn"
	"github.com/minik8s/minik8s/apiserver/hub"
	"github.com/minik8s/minik8s/apiserver/redisbus"
	"github.com/minik8s/minik8s/apiserver/satoken"
	"github.com/minik8s/minik8s/kubeconfig"
	"github.com/minik8s/minik8s/pki"
	"github.com/minik8s/minik8s/store"
)

// APIServer is an API server with the store, bus and listener it owns.
type APIServer struct {
	*apiserver.Server
	// URL is where clients reach it (http://host:port).
	URL string
	// Kubeconfig is the admin kubeconfig written for it.
	Kubeconfig string
	// Backends describes the store and watch bus, for the start-up banner.
	Backends string

	store *store.SQLStore
	bus   interface{ Close() error }
}

// NewAPIServer opens the store and the bus, makes sure the token file and
// the admin kubeconfig exist, and binds the listen address, so that every
// start-up problem (an unreachable database, a port in use) is reported
// here with a message saying what to do.
func NewAPIServer(ctx context.Context, cfg Config, log zerolog.Logger) (*APIServer, error) {
	if err := prepareDataDir(cfg.DataDir, log); err != nil {
		return nil, err
	}
	stCfg := cfg.StoreTuning
	stCfg.DSN = cfg.StoreDSN()
	st, err := store.Open(ctx, stCfg, log.With().Str("component", "store").Logger())
	if err != nil {
		return nil, fmt.Errorf("open store %s: %w (is the database running and --store right?)", redact(stCfg.DSN), flatError{err})
	}
	a := &APIServer{store: st}
	fail := func(err error) (*APIServer, error) {
		a.close()
		return nil, err
	}
	var bus apiserver.Bus
	if cfg.Redis == "" {
		local := hub.NewLocal(0)
		bus = local
		a.Backends = "store " + describeStore(stCfg.DSN) + ", watch fan-out in-process"
	} else {
		routeRedisLog(log)
		rb, err := redisbus.New(ctx, cfg.Redis, busChannel(stCfg.DSN), log.With().Str("component", "redisbus").Logger())
		if err != nil {
			return fail(fmt.Errorf("connect to redis %s: %w (is redis-server running?)", redact(cfg.Redis), flatError{err}))
		}
		bus, a.bus = rb, rb
		a.Backends = "store " + describeStore(stCfg.DSN) + ", watch fan-out via Redis " + redact(cfg.Redis)
	}
	st.SetOnCommit(func(changes []store.Change) { _ = bus.Publish(context.Background(), changes) })

	token, _, err := authn.EnsureTokenFile(cfg.TokenFile())
	if err != nil {
		return fail(err)
	}
	tokens, err := authn.Load(cfg.TokenFile())
	if err != nil {
		return fail(err)
	}
	ln, err := net.Listen("tcp", cfg.APIServer.Listen)
	if err != nil {
		if errors.Is(err, syscall.EADDRINUSE) {
			return fail(fmt.Errorf("listen on %s: the port is in use (stop the other process or pass --listen 127.0.0.1:PORT)", cfg.APIServer.Listen))
		}
		return fail(fmt.Errorf("listen on %s: %w", cfg.APIServer.Listen, err))
	}
	// kubectl sends bearer tokens only over TLS: serve HTTPS with a CA of
	// our own, which the kubeconfig carries.
	host, _, _ := net.SplitHostPort(cfg.APIServer.Listen)
	tlsCfg, caPEM, err := pki.Ensure(pki.In(cfg.DataDir), pki.DefaultHosts(host))
	if err != nil {
		ln.Close()
		return fail(fmt.Errorf("set up TLS in %s: %w", cfg.DataDir, err))
	}
	ca, err := pki.LoadCA(cfg.DataDir)
	if err != nil {
		ln.Close()
		return fail(err)
	}
	// Ask for a client certificate and verify it in authentication, not in
	// the handshake, so that a foreign or expired one is a 401 Status (or
	// the request's token decides) rather than a failed handshake.
	tlsCfg.ClientAuth = tls.RequestClientCert
	a.URL = "https://" + clientAddr(ln.Addr().(*net.TCPAddr))
	ln = tls.NewListener(ln, tlsCfg)
	saKey, err := satoken.EnsureKey(filepath.Join(cfg.DataDir, satoken.KeyFile))
	if err != nil {
		ln.Close()
		return fail(err)
	}
	issuer, err := satoken.New(saKey, cfg.APIServer.ServiceAccountIssuer, nil)
	if err != nil {
		ln.Close()
		return fail(err)
	}
	a.Kubeconfig = cfg.KubeconfigPath()
	kc := kubeconfig.New(a.URL, token, "minik8s")
	kc.Clusters[0].Cluster.CertificateAuthorityData = caPEM
	if err := kc.Save(a.Kubeconfig); err != nil {
		ln.Close()
		return fail(fmt.Errorf("write kubeconfig: %w", err))
	}
	kubelets, err := kubeletTransport(cfg.DataDir)
	if err != nil {
		ln.Close()
		return fail(err)
	}
	local := listenLocal(cfg.APISocket(), log)
	srv, err := apiserver.New(cfg.APIServer, apiserver.Deps{
		Store: st, Bus: bus, Tokens: tokens, Listener: ln, Local: local, ClientCAs: ca.Pool(), Issuer: issuer,
		Metrics: prometheus.NewRegistry(), KubeletTransport: kubelets,
	}, log.With().Str("component", "apiserver").Logger())
	if err != nil {
		ln.Close()
		if local != nil {
			local.Close()
		}
		return fail(err)
	}
	a.Server = srv
	return a, nil
}

// listenLocal listens on the Unix socket at path for the components of
// this machine, readable and writable by the data dir's owner only. It
// gives up, with nil, when the path is too long for a socket address or
// another API server already serves this data dir on it: the components
// then use HTTPS, as any other client does.
func listenLocal(path string, log zerolog.Logger) net.Listener {
	if len(path) >= maxSocketPath {
		log.Debug().Str("socket", path).Msg("data dir path too long for a Unix socket; components use HTTPS")
		return nil
	}
	if c, err := net.Dial("unix", path); err == nil {
		c.Close()
		log.Info().Str("socket", path).Msg("another API server serves this data dir's socket; this one serves HTTPS only")
		return nil
	}
	_ = os.Remove(path) // a socket left by a server that was killed
	ln, err := net.Listen("unix", path)
	if err == nil {
		err = os.Chmod(path, 0o600)
	}
	if err != nil {
		if ln != nil {
			ln.Close()
		}
		log.Warn().Err(err).Str("socket", path).Msg("no local socket; components use HTTPS")
		return nil
	}
	return ln
}

// maxSocketPath is the room for a path in a Unix socket address on Linux
// (sun_path, 108 bytes, with its terminating NUL).
const maxSocketPath = 108

// kubeletTransport reaches node agents with a client certificate named
// pki.KubeletClientCN, the caller they accept, trusting only log servers
// whose certificate the cluster CA signed.
func kubeletTransport(dataDir string) (*http.Transport, error) {
	ca, err := pki.LoadCA(dataDir)
	if err != nil {
		return nil, err
	}
	cert, err := ca.ClientCert(pki.KubeletClientCN)
	if err != nil {
		return nil, err
	}
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.TLSClientConfig = ca.ClientTLS(cert)
	// HTTP/1.1 only: pods/exec upgrades its connection, which HTTP/2 cannot.
	t.ForceAttemptHTTP2 = false
	t.TLSClientConfig.NextProtos = []string{"http/1.1"}
	return t, nil
}

// Run serves until ctx is done, then closes the store and the bus.
func (a *APIServer) Run(ctx context.Context) error {
	defer a.close()
	return a.Server.Run(ctx)
}

func (a *APIServer) close() {
	if a.bus != nil {
		_ = a.bus.Close()
	}
	if a.store != nil {
		_ = a.store.Close()
	}
}

// clientAddr is the address clients dial: a wildcard listen address is
// reached on loopback.
func clientAddr(addr *net.TCPAddr) string {
	ip := addr.IP
	if ip == nil || ip.IsUnspecified() {
		ip = net.IPv4(127, 0, 0, 1)
	}
	return net.JoinHostPort(ip.String(), fmt.Sprint(addr.Port))
}
