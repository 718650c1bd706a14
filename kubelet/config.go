package kubelet

import (
	"crypto/tls"
	"errors"
	"fmt"
	"github.com/minik8s/minik8s/apiserver/authn"
	"path/filepath"
	"time"

	"github.com/minik8s/minik8s/api"
	"github.com/minik8s/minik8s/client"
	"github.com/minik8s/minik8s/kubelet/runtime"
)

// Config tunes a Kubelet. Every node it runs shares it.
type Config struct {
	// Address and Port are where the kubelet serves container logs
	// (/containerLogs/...); the port is published in each Node's
	// daemonEndpoints and Address as its InternalIP. Port 0 picks a free
	// port.
	Address string `yaml:"address"`
	Port    int    `yaml:"port"`
	// MaxPods is each node's pods capacity.
	MaxPods int `yaml:"maxPods"`
	// NodeLeaseRenewInterval is how often each node's Lease in
	// kube-node-lease is renewed; the Lease says it lasts
	// NodeLeaseDurationSeconds.
	NodeLeaseRenewInterval   time.Duration `yaml:"nodeLeaseRenewInterval"`
	NodeLeaseDurationSeconds int32         `yaml:"nodeLeaseDurationSeconds"`
	// NodeStatusUpdateInterval is how often each node's status is
	// computed; it is written only when it changed (anything but the
	// conditions' heartbeat times) or when NodeStatusReportFrequency has
	// passed since it was last written, as the Kubernetes kubelet does
	// since its Leases carry the heartbeat.
	NodeStatusUpdateInterval  time.Duration `yaml:"nodeStatusUpdateInterval"`
	NodeStatusReportFrequency time.Duration `yaml:"nodeStatusReportFrequency"`
	// Workers sync pods in parallel; StatusWorkers write pod statuses
	// (a process of many nodes has one per 50 nodes if that is more).
	Workers       int `yaml:"workers"`
	StatusWorkers int `yaml:"statusWorkers"`
	// RelistPeriod is how often the runtimes are listed to notice changes
	// the kubelet did not cause (a container that exited, one removed
	// behind its back), as the kubelet's PLEG does. Runtimes that notify
	// (runtime.Notifier) are listed every NotifierRelistPeriod instead.
	RelistPeriod         time.Duration `yaml:"relistPeriod"`
	NotifierRelistPeriod time.Duration `yaml:"notifierRelistPeriod"`
	// ResyncPeriod re-syncs every pod even when nothing changed.
	ResyncPeriod time.Duration `yaml:"resyncPeriod"`
	// BackoffInitial and BackoffMax bound the delay before a crashed
	// container (or a failed image pull) is tried again: it doubles from
	// the first to the second.
	BackoffInitial time.Duration `yaml:"backoffInitial"`
	BackoffMax     time.Duration `yaml:"backoffMax"`
	// RootDir holds what the kubelet writes for the pods of nodes that run
	// real containers: each pod's volumes, under pods/<uid>/volumes.
	// Empty: such pods cannot mount volumes (minik8s all and kubelet set
	// it to <data dir>/kubelet).
	RootDir string `yaml:"rootDir"`
	// ConfigRefreshPeriod is how long a ConfigMap or Secret read for a pod
	// is kept, and how often the volumes of running pods are rewritten
	// from them (and their ServiceAccount tokens renewed when due).
	ConfigRefreshPeriod time.Duration `yaml:"configRefreshPeriod"`
	// PodAPIServer is the host:port pods reach the API server at, which
	// KUBERNETES_SERVICE_HOST and _PORT carry. Empty: on Docker nodes the
	// kubelet forwards the bridge gateway's address at the API server's
	// port to the API server; on simulated ones the kubernetes Service's
	// cluster IP.
	PodAPIServer string `yaml:"podAPIServer"`
}

// DefaultConfig returns the Kubernetes kubelet's defaults where it has
// them: port 10250, 110 pods, a 10 s lease renewal of a 40 s lease, status
// computed every 10 s and written on change or every 5 min, crash back-off
// from 10 s to 5 min.
func DefaultConfig() Config {
	return Config{
		Address:                   "127.0.0.1",
		Port:                      10250,
		MaxPods:                   110,
		NodeLeaseRenewInterval:    10 * time.Second,
		NodeLeaseDurationSeconds:  40,
		NodeStatusUpdateInterval:  10 * time.Second,
		NodeStatusReportFrequency: 5 * time.Minute,
		Workers:                   8,
		StatusWorkers:             8,
		RelistPeriod:              time.Second,
		NotifierRelistPeriod:      30 * time.Second,
		ResyncPeriod:              time.Minute,
		BackoffInitial:            10 * time.Second,
		BackoffMax:                5 * time.Minute,
		ConfigRefreshPeriod:       10 * time.Second,
	}
}

// Validate reports values a kubelet cannot run with.
func (c Config) Validate() error {
	var errs []error
	if c.Address == "" {
		errs = append(errs, errors.New("address is empty"))
	}
	if c.Port < 0 || c.Port > 65535 {
		errs = append(errs, fmt.Errorf("port %d is out of range", c.Port))
	}
	if c.MaxPods < 1 {
		errs = append(errs, fmt.Errorf("maxPods %d must be at least 1", c.MaxPods))
	}
	if c.NodeLeaseRenewInterval <= 0 || c.NodeStatusUpdateInterval <= 0 || c.NodeStatusReportFrequency <= 0 {
		errs = append(errs, errors.New("nodeLeaseRenewInterval, nodeStatusUpdateInterval and nodeStatusReportFrequency must be positive"))
	}
	if time.Duration(c.NodeLeaseDurationSeconds)*time.Second <= c.NodeLeaseRenewInterval {
		errs = append(errs, fmt.Errorf("nodeLeaseDurationSeconds %d must exceed the renew interval %s", c.NodeLeaseDurationSeconds, c.NodeLeaseRenewInterval))
	}
	if c.Workers < 1 || c.StatusWorkers < 1 {
		errs = append(errs, errors.New("workers and statusWorkers must be at least 1"))
	}
	if c.RelistPeriod <= 0 || c.NotifierRelistPeriod <= 0 || c.ResyncPeriod <= 0 {
		errs = append(errs, errors.New("relistPeriod, notifierRelistPeriod and resyncPeriod must be positive"))
	}
	if c.ConfigRefreshPeriod <= 0 {
		errs = append(errs, errors.New("configRefreshPeriod must be positive"))
	}
	if c.BackoffInitial <= 0 || c.BackoffMax < c.BackoffInitial {
		errs = append(errs, fmt.Errorf("backoff %s to %s: want 0 < backoffInitial <= backoffMax", c.BackoffInitial, c.BackoffMax))
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("kubelet config: %w", err)
	}
	return nil
}

// EventRecorder reports events about objects (events.Recorder does). The
// kubelet needs one per node, since each event names its node as source.
type EventRecorder interface {
	Eventf(ref api.ObjectReference, eventType, reason, messageFmt string, args ...any)
}

// Node is one node a Kubelet runs, with the runtime of its containers.
type Node struct {
	// Name of the Node object.
	Name string
	// Runtime runs the node's containers. Nodes of one Kubelet may share
	// nothing but the API client: each needs its own Runtime, one that
	// lists only the node's own pods.
	Runtime runtime.Runtime
	// Simulated makes probes succeed without a network check, unless the
	// pod's AnnotationProbeFail says otherwise: simulated pods have no
	// processes to probe.
	Simulated bool
	// Client is the node's own API client, which carries its own
	// credential (system:node:<name>, as the Node authorizer requires): it
	// writes the node's Node, Lease, pod statuses and pod deletions. nil:
	// Deps.Client.
	Client *client.Client
	// Labels are added to the Node's well-known labels.
	Labels map[string]string
	// Events records the node's events about pods; nil records none.
	Events EventRecorder
}

// Deps are what a Kubelet talks to.
type Deps struct {
	// Client reaches the API server; it watches the pods of every node
	// (a node may list and watch pods) and records the events of nodes
	// without a Client of their own.
	Client *client.Client
	// Nodes are the nodes to run, at least one, with distinct names.
	Nodes []Node
	// TLS serves the log server: its certificate, and the CA that client
	// certificates are verified against (pki.CA.ServerTLS). Only the API
	// server, with a client certificate named pki.KubeletClientCN, may
	// read logs.
	TLS *tls.Config
	// AdminTokens, if set, authenticates the node agent controls
	// (agent.go) on the same port: admins (replica.AdminGroup) may stop
	// and freeze each node's agent. Nil turns them off.
	AdminTokens *authn.Tokens
}

// absRootDir makes RootDir absolute: the runtime bind-mounts the files
// under it into containers, and Docker refuses a relative source (the
// default data dir, .minik8s, is relative).
func (c *Config) absRootDir() error {
	if c.RootDir == "" {
		return nil
	}
	abs, err := filepath.Abs(c.RootDir)
	if err != nil {
		return fmt.Errorf("kubelet rootDir %q: %w", c.RootDir, err)
	}
	c.RootDir = abs
	return nil
}
