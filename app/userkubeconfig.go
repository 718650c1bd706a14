package app

import (
	"errors"
	"fmt"
	"strings"
	"unicode"

	"github.com/minik8s/minik8s/kubeconfig"
	"github.com/minik8s/minik8s/pki"
)

// UserKubeconfig mints a credential for user in groups, a client
// certificate signed by the cluster CA (CN user, O groups, valid a year),
// and returns a kubeconfig that reaches the cluster of DataDir's admin
// kubeconfig with it. This is what `minik8s kubeconfig --user` prints: a
// workshop gives each student one. The certificate cannot be revoked
// before it expires (as in Kubernetes); what the user may do is for
// authorization to decide.
func (c *Config) UserKubeconfig(user string, groups []string) (*kubeconfig.Config, error) {
	if err := checkName("user", user); err != nil {
		return nil, err
	}
	for _, g := range groups {
		if err := checkName("group", g); err != nil {
			return nil, err
		}
	}
	admin, err := kubeconfig.Load(c.KubeconfigPath())
	if err != nil {
		return nil, fmt.Errorf("%w (start the API server with this --data-dir first)", err)
	}
	r, err := admin.Resolve()
	if err != nil {
		return nil, err
	}
	ca, err := pki.LoadCA(c.DataDir)
	if err != nil {
		return nil, err
	}
	cert, key, err := ca.ClientCertPEM(user, groups...)
	if err != nil {
		return nil, err
	}
	const cluster = "minik8s"
	ctxName := user + "@" + cluster
	return &kubeconfig.Config{
		APIVersion: "v1", Kind: "Config",
		Clusters: []kubeconfig.NamedCluster{{Name: cluster, Cluster: r.Cluster}},
		Users: []kubeconfig.NamedUser{{Name: user, User: kubeconfig.AuthInfo{
			ClientCertificateData: cert, ClientKeyData: key,
		}}},
		Contexts:       []kubeconfig.NamedContext{{Name: ctxName, Context: kubeconfig.Context{Cluster: cluster, User: user}}},
		CurrentContext: ctxName,
	}, nil
}

// checkName refuses an empty name, or one with spaces at either end or
// control characters, which would be a different user than the one meant.
func checkName(what, name string) error {
	switch {
	case name == "":
		return fmt.Errorf("--%s must not be empty", what)
	case strings.TrimSpace(name) != name:
		return fmt.Errorf("--%s %q has spaces at its start or end", what, name)
	case strings.ContainsFunc(name, unicode.IsControl):
		return fmt.Errorf("--%s %q has control characters", what, name)
	case len(name) > 253:
		return errors.New("--" + what + " is longer than 253 characters")
	}
	return nil
}
