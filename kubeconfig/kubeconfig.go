package kubeconfig

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"sigs.k8s.io/yaml"
)

// Config is a kubeconfig file (apiVersion v1, kind Config).
type Config struct {
	APIVersion     string         `json:"apiVersion"`
	Kind           string         `json:"kind"`
	Clusters       []NamedCluster `json:"clusters"`
	Users          []NamedUser    `json:"users"`
	Contexts       []NamedContext `json:"contexts"`
	CurrentContext string         `json:"current-context"`
	Preferences    struct{}       `json:"preferences"`
}

// NamedCluster is one entry of clusters.
type NamedCluster struct {
	Name    string  `json:"name"`
	Cluster Cluster `json:"cluster"`
}

// Cluster is how to reach an API server.
type Cluster struct {
	Server string `json:"server"`
	// CertificateAuthorityData is the PEM of the CA that signed the server's
	// certificate (base64 in the YAML, decoded here).
	CertificateAuthorityData []byte `json:"certificate-authority-data,omitempty"`
	InsecureSkipTLSVerify    bool   `json:"insecure-skip-tls-verify,omitempty"`
	// Extensions are named values for particular clients; kubectl ignores
	// them. minik8s's own clients read SocketExtension.
	Extensions []NamedExtension `json:"extensions,omitempty"`
}

// NamedExtension is one entry of a cluster's extensions.
type NamedExtension struct {
	Name      string          `json:"name"`
	Extension json.RawMessage `json:"extension"`
}

// SocketExtension names the extension that tells minik8s's clients on
// the API server's machine to reach it over plain HTTP/1.1 on a Unix
// socket instead of HTTPS on Server (which every other client uses): its
// value is {"path": "<socket>"}.
const SocketExtension = "minik8s.io/unix-socket"

// Socket is the path in the cluster's SocketExtension, or "" without one.
func (c Cluster) Socket() string {
	for _, e := range c.Extensions {
		if e.Name != SocketExtension {
			continue
		}
		var v struct {
			Path string `json:"path"`
		}
		if json.Unmarshal(e.Extension, &v) == nil {
			return v.Path
		}
	}
	return ""
}

// IsSocket reports whether path is a Unix socket: a kubeconfig copied to
// another machine names one that is not there, and its client uses Server.
func IsSocket(path string) bool {
	fi, err := os.Stat(path)
	return err == nil && fi.Mode()&os.ModeSocket != 0
}

// SetSocket sets the cluster's SocketExtension to path ("" removes it).
func (c *Cluster) SetSocket(path string) {
	c.Extensions = slices.DeleteFunc(slices.Clone(c.Extensions), func(e NamedExtension) bool { return e.Name == SocketExtension })
	if path != "" {
		v, _ := json.Marshal(map[string]string{"path": path})
		c.Extensions = append(c.Extensions, NamedExtension{Name: SocketExtension, Extension: v})
	}
}

// NamedUser is one entry of users.
type NamedUser struct {
	Name string   `json:"name"`
	User AuthInfo `json:"user"`
}

// AuthInfo is a credential: a bearer token (Token wins over TokenFile),
// or a client certificate and its key (PEM; base64 in the YAML).
type AuthInfo struct {
	Token                 string `json:"token,omitempty"`
	TokenFile             string `json:"tokenFile,omitempty"`
	ClientCertificateData []byte `json:"client-certificate-data,omitempty"`
	ClientKeyData         []byte `json:"client-key-data,omitempty"`
}

// NamedContext is one entry of contexts.
type NamedContext struct {
	Name    string  `json:"name"`
	Context Context `json:"context"`
}

// Context pairs a cluster with a user and a default namespace.
type Context struct {
	Cluster   string `json:"cluster"`
	User      string `json:"user"`
	Namespace string `json:"namespace,omitempty"`
}

// Resolved is the current context with its cluster and user looked up.
type Resolved struct {
	Context string
	Cluster Cluster
	Token   string
	// ClientCert and ClientKey are the user's client certificate and key
	// (PEM), nil when it has none.
	ClientCert, ClientKey []byte
	Namespace             string // "default" when the context names none
}

// DefaultPath is where kubectl looks: the first entry of $KUBECONFIG, or
// ~/.kube/config.
func DefaultPath() string {
	if env := os.Getenv("KUBECONFIG"); env != "" {
		return filepath.SplitList(env)[0]
	}
	home, err := os.UserHomeDir()
	if err != nil {
		return filepath.Join(".kube", "config")
	}
	return filepath.Join(home, ".kube", "config")
}

// Load reads and parses the kubeconfig at path.
func Load(path string) (*Config, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read kubeconfig: %w", err)
	}
	var c Config
	if err := yaml.Unmarshal(b, &c); err != nil {
		return nil, fmt.Errorf("parse kubeconfig %s: %w", path, err)
	}
	return &c, nil
}

// Resolve looks up the current context, its cluster and its user. A user
// with a tokenFile has the file read. It fails if there is no current
// context or it names a cluster or user that is not defined; a context
// without a user is allowed (no credential).
func (c *Config) Resolve() (Resolved, error) {
	if c.CurrentContext == "" {
		return Resolved{}, errors.New("resolve kubeconfig: no current-context")
	}
	var r Resolved
	ctx, ok := find(c.Contexts, c.CurrentContext, func(n NamedContext) (string, Context) { return n.Name, n.Context })
	if !ok {
		return r, fmt.Errorf("resolve kubeconfig: context %q not found", c.CurrentContext)
	}
	cl, ok := find(c.Clusters, ctx.Cluster, func(n NamedCluster) (string, Cluster) { return n.Name, n.Cluster })
	if !ok {
		return r, fmt.Errorf("resolve kubeconfig: cluster %q of context %q not found", ctx.Cluster, c.CurrentContext)
	}
	if cl.Server == "" {
		return r, fmt.Errorf("resolve kubeconfig: cluster %q has no server", ctx.Cluster)
	}
	r = Resolved{Context: c.CurrentContext, Cluster: cl, Namespace: ctx.Namespace}
	if r.Namespace == "" {
		r.Namespace = "default"
	}
	if ctx.User != "" {
		u, ok := find(c.Users, ctx.User, func(n NamedUser) (string, AuthInfo) { return n.Name, n.User })
		if !ok {
			return Resolved{}, fmt.Errorf("resolve kubeconfig: user %q of context %q not found", ctx.User, c.CurrentContext)
		}
		r.Token = u.Token
		r.ClientCert, r.ClientKey = u.ClientCertificateData, u.ClientKeyData
		if r.Token == "" && u.TokenFile != "" {
			b, err := os.ReadFile(u.TokenFile)
			if err != nil {
				return Resolved{}, fmt.Errorf("read token file: %w", err)
			}
			r.Token = strings.TrimSpace(string(b))
		}
	}
	return r, nil
}

// Current returns the server URL and bearer token of the current context
// (token "" when its user has none); see Resolve for the errors.
func (c *Config) Current() (server, token string, err error) {
	r, err := c.Resolve()
	if err != nil {
		return "", "", err
	}
	return r.Cluster.Server, r.Token, nil
}

func find[E, V any](list []E, name string, get func(E) (string, V)) (V, bool) {
	for _, e := range list {
		if n, v := get(e); n == name {
			return v, true
		}
	}
	var zero V
	return zero, false
}

// New returns a kubeconfig with one cluster, one user and one context, all
// called name, which is also the current context.
func New(server, token, name string) *Config {
	return &Config{
		APIVersion:     "v1",
		Kind:           "Config",
		Clusters:       []NamedCluster{{Name: name, Cluster: Cluster{Server: server}}},
		Users:          []NamedUser{{Name: name, User: AuthInfo{Token: token}}},
		Contexts:       []NamedContext{{Name: name, Context: Context{Cluster: name, User: name}}},
		CurrentContext: name,
	}
}

// Save writes c to path with mode 0600, creating the directory if needed.
// The file is replaced atomically (written beside it, then renamed), so a
// concurrent reader sees the old or the new file, never a partial one.
func (c *Config) Save(path string) error {
	b, err := yaml.Marshal(c)
	if err != nil {
		return fmt.Errorf("encode kubeconfig: %w", err)
	}
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("create kubeconfig dir: %w", err)
	}
	f, err := os.CreateTemp(dir, "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return fmt.Errorf("create kubeconfig: %w", err)
	}
	defer os.Remove(f.Name()) // no-op after a successful rename
	if err := f.Chmod(0o600); err != nil {
		f.Close()
		return fmt.Errorf("chmod kubeconfig: %w", err)
	}
	if _, err := f.Write(b); err != nil {
		f.Close()
		return fmt.Errorf("write kubeconfig: %w", err)
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return fmt.Errorf("sync kubeconfig: %w", err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("close kubeconfig: %w", err)
	}
	if err := os.Rename(f.Name(), path); err != nil {
		return fmt.Errorf("rename kubeconfig: %w", err)
	}
	return nil
}

// Write saves a single-context kubeconfig (see New) to path, replacing any
// file there; see Save.
func Write(path, server, token, name string) error {
	return New(server, token, name).Save(path)
}
