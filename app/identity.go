package app

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/minik8s/minik8s/apiserver/authn"
	"github.com/minik8s/minik8s/kubeconfig"
)

// ComponentKubeconfig returns the kubeconfig a component authenticates
// with as user (in groups): when the token file of DataDir holds the token
// of ClientKubeconfig (--kubeconfig, or the admin kubeconfig), a kubeconfig
// reaching the same server with user's own token, which the token file gets
// on the component's first start and keeps; otherwise (a component on
// another machine, or a kubeconfig of another cluster) ClientKubeconfig as
// it is. Each component having its own
// identity lets the API server give the control plane's traffic a share
// that people's cannot starve (see limits' priority levels).
func (c *Config) ComponentKubeconfig(user string, groups ...string) (string, error) {
	base := c.ClientKubeconfig()
	if _, err := os.Stat(c.TokenFile()); errors.Is(err, fs.ErrNotExist) {
		return base, nil
	}
	kc, err := kubeconfig.Load(base)
	if err != nil {
		return "", err
	}
	r, err := kc.Resolve()
	if err != nil {
		return "", err
	}
	// A kubeconfig whose token the token file does not hold belongs to
	// another cluster: use it as it is.
	toks, err := authn.Load(c.TokenFile())
	if err != nil {
		return "", err
	}
	if _, ok := toks.Authenticate(r.Token); !ok {
		return base, nil
	}
	token, err := authn.EnsureUser(c.TokenFile(), user, groups)
	if err != nil {
		return "", fmt.Errorf("credential of %s: %w", user, err)
	}
	own := kubeconfig.New(r.Cluster.Server, token, "minik8s")
	own.Clusters[0].Cluster = r.Cluster
	name := strings.NewReplacer("system:", "", ":", "-").Replace(user)
	path := filepath.Join(c.DataDir, "components", name+".kubeconfig")
	if err := own.Save(path); err != nil {
		return "", err
	}
	return path, nil
}
