package app

import (
	"context"
	"fmt"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/rs/zerolog"

	"github.com/minik8s/minik8s/apiserver/authn"
	"github.com/minik8s/minik8s/client"
	"github.com/minik8s/minik8s/controllers"
	"github.com/minik8s/minik8s/kubeconfig"
	"github.com/minik8s/minik8s/replica"
)

// ControllerManagerConfig configures the controller-manager role.
type ControllerManagerConfig struct {
	controllers.Config `yaml:",inline"`
	// Replicas is how many independent replicas one process runs.
	Replicas int `yaml:"replicas"`
	// Port serves /healthz, /metrics and /replicas on 127.0.0.1; 0: off.
	Port int `yaml:"port"`
	// KubeAPIQPS and KubeAPIBurst rate-limit each replica's API client.
	KubeAPIQPS   float32 `yaml:"kubeAPIQPS"`
	KubeAPIBurst int     `yaml:"kubeAPIBurst"`
}

// DefaultControllerManagerConfig returns the controller manager's
// defaults: one replica on port 10257 (kube-controller-manager's),
// kube-controller-manager's worker counts and node monitoring periods, and
// a client allowed 2000 requests per second (burst 4000): a 1000-replica
// Deployment is 1000 pod creates, which 200/s would stretch to 5 s.
func DefaultControllerManagerConfig() ControllerManagerConfig {
	return ControllerManagerConfig{
		Config:       controllers.DefaultConfig(),
		Replicas:     1,
		Port:         10257,
		KubeAPIQPS:   2000,
		KubeAPIBurst: 4000,
	}
}

// validate checks the controller manager's own settings (the election's
// are checked with the scheduler's).
func (c ControllerManagerConfig) validate() error {
	if c.Replicas < 1 {
		return fmt.Errorf("--replicas %d must be at least 1", c.Replicas)
	}
	if c.Port < 0 || c.Port > 65535 {
		return fmt.Errorf("--port %d must be 0 (off) to 65535", c.Port)
	}
	if c.KubeAPIBurst < 0 {
		return fmt.Errorf("--kube-api-burst %d must not be negative", c.KubeAPIBurst)
	}
	return c.Config.Validate()
}

// NewControllerManagers builds n controller-manager replicas, each with its
// own API client, identity (<hostname>_<pid>_cm<i>) and, while it leads,
// its own informers and controllers, all elected together through
// cfg.LeaderElection (the Lease kube-system/kube-controller-manager, or a
// Redis key), and, unless cfg.ControllerManager.Port is 0, the controller
// manager's HTTP port (listening when NewControllerManagers returns; see
// package replica). A replica writes only while its lease is live, and
// nothing while it is frozen. It returns the functions to run; they stop
// when their context ends. It reads the kubeconfig, so the API server must
// have written it.
func NewControllerManagers(cfg Config, n int, log zerolog.Logger) ([]func(context.Context) error, error) {
	cm := cfg.ControllerManager
	return newElectedReplicas(cfg, n, electedRole{
		component: "controller-manager",
		idSuffix:  "cm",
		leaseName: "kube-controller-manager",
		port:      cm.Port,
		// The controllers' client sends through the replica's Transport,
		// which refuses writes while frozen or without a live lease; the
		// lock has a client of its own, since a standby's campaign is a
		// write.
		build: func(r *replica.Replica, identity, host string, _ prometheus.Registerer, log zerolog.Logger) (func(context.Context) error, []func(context.Context) error, *client.Client, error) {
			kcPath, err := cfg.ComponentKubeconfig(log, authn.ControllerManagerUser)
			if err != nil {
				return nil, nil, nil, err
			}
			c, err := client.FromKubeconfigWrapped(kcPath, cm.KubeAPIQPS, cm.KubeAPIBurst, r.Transport)
			if err != nil {
				return nil, nil, nil, fmt.Errorf("build API client: %w", err)
			}
			// Every controller shares this client and the manager's
			// identity, so every write's field manager is
			// kube-controller-manager, as in Kubernetes without
			// per-controller service accounts.
			c = c.WithUserAgent(client.UserAgent("kube-controller-manager"))
			m, err := controllers.NewManager(cm.Config, c, identity, host, log)
			if err != nil {
				return nil, nil, nil, err
			}
			// The CA the kubeconfig trusts the API server by is what pods
			// get in kube-root-ca.crt.
			kc, err := kubeconfig.Load(kcPath)
			if err != nil {
				return nil, nil, nil, err
			}
			if r, err := kc.Resolve(); err == nil && len(r.Cluster.CertificateAuthorityData) > 0 {
				m.WithRootCA(r.Cluster.CertificateAuthorityData)
			}
			lc, err := client.FromKubeconfig(kcPath, cm.KubeAPIQPS, cm.KubeAPIBurst)
			if err != nil {
				return nil, nil, nil, fmt.Errorf("build lock's API client: %w", err)
			}
			lc = lc.WithUserAgent(client.UserAgent("kube-controller-manager") + "/leader-election")
			return m.Run, nil, lc, nil
		},
	}, log)
}
