package app

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/rs/zerolog"

	"github.com/minik8s/minik8s/apiserver/authn"
	"github.com/minik8s/minik8s/kubeconfig"
)

// ComponentKubeconfig returns the kubeconfig a component authenticates
// with as user (in groups): when the token file of DataDir holds the token
// of ClientKubeconfig (--kubeconfig, or the admin kubeconfig), a kubeconfig
// reaching the same server with user's own token, which the token file gets
// on the component's first start and keeps; otherwise (a component on
// another machine, or a kubeconfig of another cluster) ClientKubeconfig as
// it is, as a Kubernetes component uses its --kubeconfig, with a warning
// on log saying why: the component then has the identity and the rights
// of that kubeconfig's user, the admin's if it is an admin kubeconfig.
// Each component having its own identity lets the authorizer give it
// only what it needs (system:kube-scheduler, system:node:<name>, ...) and
// the API server give the control plane's traffic a share that people's
// cannot starve (see limits' priority levels).
func (c *Config) ComponentKubeconfig(log zerolog.Logger, user string, groups ...string) (string, error) {
	base := c.ClientKubeconfig()
	cred, why, err := c.componentCredential(user, groups)
	if err != nil {
		return "", err
	}
	if why != "" {
		log.Warn().Str("user", user).Str("kubeconfig", base).Str("reason", why).
			Msg("no credential of the component's own: it authenticates as the kubeconfig's user, with that user's rights")
		return base, nil
	}
	own := kubeconfig.New(cred.server.Cluster.Server, cred.token, "minik8s")
	own.Clusters[0].Cluster = cred.server.Cluster
	// On the API server's machine, the component reaches it on the data
	// dir's socket (kubeconfig.SocketExtension) when the server serves one.
	sock, err := filepath.Abs(c.APISocket())
	if err != nil || !kubeconfig.IsSocket(sock) {
		sock = ""
	}
	own.Clusters[0].Cluster.SetSocket(sock)
	name := strings.NewReplacer("system:", "", ":", "-").Replace(user)
	path := filepath.Join(c.DataDir, "components", name+".kubeconfig")
	if err := own.Save(path); err != nil {
		return "", err
	}
	return path, nil
}

// ComponentToken returns the token of user (in groups) from the token file
// of DataDir, adding one on the user's first start, when
// ComponentKubeconfig would give the user a kubeconfig of its own; ok is
// false when it would not (no token file here, or a kubeconfig of another
// cluster). A kubelet running several nodes authenticates each with its
// token (client.WithToken), so that each node is its own
// system:node:<name>.
func (c *Config) ComponentToken(user string, groups ...string) (token string, ok bool, err error) {
	toks, ok, err := c.ComponentTokens([]string{user}, groups...)
	if !ok || err != nil {
		return "", ok, err
	}
	return toks[0], true, nil
}

// ComponentTokens is ComponentToken for many users, their tokens in their
// order, reading the token file once.
func (c *Config) ComponentTokens(users []string, groups ...string) (tokens []string, ok bool, err error) {
	creds, why, err := c.componentCredentials(users, groups)
	if err != nil || why != "" {
		return nil, false, err
	}
	tokens = make([]string, len(creds))
	for i, cr := range creds {
		tokens[i] = cr.token
	}
	return tokens, true, nil
}

type componentCred struct {
	server kubeconfig.Resolved
	token  string
}

// componentCredential ensures user's token in the token file, if the
// client kubeconfig's token is one of that file's (see
// ComponentKubeconfig); otherwise why says why not.
func (c *Config) componentCredential(user string, groups []string) (cred componentCred, why string, err error) {
	creds, why, err := c.componentCredentials([]string{user}, groups)
	if err != nil || why != "" {
		return componentCred{}, why, err
	}
	return creds[0], "", nil
}

// componentCredentials is componentCredential for many users at once.
func (c *Config) componentCredentials(users []string, groups []string) (creds []componentCred, why string, err error) {
	if _, err := os.Stat(c.TokenFile()); errors.Is(err, fs.ErrNotExist) {
		return nil, "no token file " + c.TokenFile() + " to add its token to (the API server's data dir is elsewhere?)", nil
	}
	kc, err := kubeconfig.Load(c.ClientKubeconfig())
	if err != nil {
		return nil, "", err
	}
	r, err := kc.Resolve()
	if err != nil {
		return nil, "", err
	}
	// A kubeconfig whose token the token file does not hold belongs to
	// another cluster: use it as it is.
	toks, err := authn.Load(c.TokenFile())
	if err != nil {
		return nil, "", err
	}
	if _, ok := toks.Authenticate(r.Token); !ok {
		return nil, "the kubeconfig's credential is none of the tokens of " + c.TokenFile() + " (another cluster's, or a client certificate)", nil
	}
	tokens, err := authn.EnsureUsers(c.TokenFile(), users, groups)
	if err != nil {
		return nil, "", fmt.Errorf("credentials of %s: %w", strings.Join(users[:min(len(users), 3)], ", "), err)
	}
	creds = make([]componentCred, len(tokens))
	for i, t := range tokens {
		creds[i] = componentCred{server: r, token: t}
	}
	return creds, "", nil
}
