package docker

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	cerrdefs "github.com/containerd/errdefs"
	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/client"
	"github.com/rs/zerolog"

	"github.com/minik8s/minik8s/api"
	"github.com/minik8s/minik8s/kubelet/runtime"
)

// Labels on every container the runtime creates.
const (
	LabelCluster       = "io.minik8s.cluster" // Config.Cluster, when set
	LabelNode          = "io.minik8s.node"
	LabelPodNamespace  = "io.minik8s.pod.namespace"
	LabelPodName       = "io.minik8s.pod.name"
	LabelPodUID        = "io.minik8s.pod.uid"
	LabelType          = "io.minik8s.type" // typeSandbox or typeContainer
	LabelContainerName = "io.minik8s.container.name"
	LabelAttempt       = "io.minik8s.container.attempt"
)

const (
	typeSandbox   = "sandbox"
	typeContainer = "container"

	// idPrefix marks the IDs this runtime hands out.
	idPrefix = "docker://"
)

// DefaultPauseImage is the sandbox image built from the running executable
// when absent (see the package documentation).
const DefaultPauseImage = "minik8s/pause:1"

// Config configures the Docker runtime of one node.
type Config struct {
	// Host is the engine's address, e.g. unix:///var/run/docker.sock; ""
	// takes DOCKER_HOST, or that socket.
	Host string `yaml:"host"`
	// NodeName is the node whose containers this runtime manages; required.
	NodeName string `yaml:"-"`
	// Cluster is the ID of the node's cluster (pki.ClusterID). When set,
	// every container carries it as LabelCluster and the runtime sees only
	// containers that carry it, so that clusters sharing an engine (and
	// node names) keep apart, and `minik8s reset` removes one cluster's.
	Cluster string `yaml:"-"`
	// PauseImage is the sandbox image. DefaultPauseImage is built when
	// absent; any other image is pulled when absent.
	PauseImage string `yaml:"pauseImage"`
	// DNS is the cluster DNS pods are pointed at (runtime.PodDNS); set by
	// the node agent when it runs one.
	DNS runtime.ClusterDNS `yaml:"-"`
}

// DefaultConfig returns the settings for the local engine.
func DefaultConfig() Config { return Config{PauseImage: DefaultPauseImage} }

// Runtime runs one node's pods on a Docker engine.
type Runtime struct {
	cfg Config
	cli *client.Client
	log zerolog.Logger

	pauseReady bool // PauseImage known to be present; guarded by pauseMu
}

// pauseMu serialises making the pause image, so that the nodes of one
// process build it once.
var pauseMu sync.Mutex

var _ runtime.Runtime = (*Runtime)(nil)

// New validates cfg and makes a client for the engine; it does not
// contact the engine. Close releases the client.
func New(cfg Config, log zerolog.Logger) (*Runtime, error) {
	if cfg.NodeName == "" {
		return nil, errors.New("docker: node name is required")
	}
	if cfg.PauseImage == "" {
		cfg.PauseImage = DefaultPauseImage
	}
	cli, err := newClient(cfg.Host)
	if err != nil {
		return nil, err
	}
	return &Runtime{cfg: cfg, cli: cli, log: log}, nil
}

func newClient(host string) (*client.Client, error) {
	opts := []client.Opt{client.FromEnv, client.WithAPIVersionNegotiation()}
	if host != "" {
		opts = append(opts, client.WithHost(host))
	}
	cli, err := client.New(opts...)
	if err != nil {
		return nil, fmt.Errorf("docker: make client: %w", err)
	}
	return cli, nil
}

// Close releases the client's connections.
func (r *Runtime) Close() error { return r.cli.Close() }

// Available reports whether a Docker engine answers at host ("" for
// DOCKER_HOST or the default socket) within a second, for --runtime auto.
func Available(ctx context.Context, host string) bool {
	cli, err := newClient(host)
	if err != nil {
		return false
	}
	defer cli.Close()
	ctx, cancel := context.WithTimeout(ctx, time.Second)
	defer cancel()
	_, err = cli.Ping(ctx, client.PingOptions{NegotiateAPIVersion: true})
	return err == nil
}

// Info reports the engine's version and its machine's cpus and memory.
func (r *Runtime) Info(ctx context.Context) (runtime.Info, error) {
	res, err := r.cli.Info(ctx, client.InfoOptions{})
	if err != nil {
		return runtime.Info{}, fmt.Errorf("get docker info: %w", err)
	}
	i := res.Info
	return runtime.Info{
		RuntimeVersion: idPrefix + i.ServerVersion,
		OSImage:        i.OperatingSystem,
		KernelVersion:  i.KernelVersion,
		Capacity: api.ResourceList{
			api.ResourceCPU:    api.NewQuantity(int64(i.NCPU), api.DecimalSI),
			api.ResourceMemory: api.NewQuantity(i.MemTotal, api.BinarySI),
		},
	}, nil
}

var _ runtime.ImageLister = (*Runtime)(nil)

// ListImages implements runtime.ImageLister: the engine's images that have
// a name (digests first, then tags), as the kubelet reports them.
func (r *Runtime) ListImages(ctx context.Context) ([]api.ContainerImage, error) {
	res, err := r.cli.ImageList(ctx, client.ImageListOptions{})
	if err != nil {
		return nil, fmt.Errorf("list docker images: %w", err)
	}
	out := make([]api.ContainerImage, 0, len(res.Items))
	for _, img := range res.Items {
		var names []string
		for _, n := range append(slices.Clone(img.RepoDigests), img.RepoTags...) {
			if n != "" && !strings.HasPrefix(n, "<none>") {
				names = append(names, n)
			}
		}
		if len(names) > 0 {
			out = append(out, api.ContainerImage{Names: names, SizeBytes: img.Size})
		}
	}
	return out, nil
}

// labels returns the labels of a container of pod.
func (r *Runtime) labels(p *api.Pod, typ string) map[string]string {
	l := map[string]string{
		LabelNode:         r.cfg.NodeName,
		LabelPodNamespace: p.Namespace,
		LabelPodName:      p.Name,
		LabelPodUID:       p.UID,
		LabelType:         typ,
	}
	if r.cfg.Cluster != "" {
		l[LabelCluster] = r.cfg.Cluster
	}
	return l
}

// list returns this node's containers, running or not, that carry every
// label of match ("key=value").
func (r *Runtime) list(ctx context.Context, match ...string) ([]container.Summary, error) {
	match = append(match, LabelNode+"="+r.cfg.NodeName)
	if r.cfg.Cluster != "" {
		match = append(match, LabelCluster+"="+r.cfg.Cluster)
	}
	f := make(client.Filters).Add("label", match...)
	res, err := r.cli.ContainerList(ctx, client.ContainerListOptions{All: true, Filters: f})
	if err != nil {
		return nil, fmt.Errorf("list containers: %w", err)
	}
	return res.Items, nil
}

// instances returns the pod's containers named name, newest attempt
// first.
func (r *Runtime) instances(ctx context.Context, podUID, name string) ([]container.Summary, error) {
	cs, err := r.list(ctx, LabelPodUID+"="+podUID, LabelContainerName+"="+name, LabelType+"="+typeContainer)
	if err != nil {
		return nil, err
	}
	sort.Slice(cs, func(i, j int) bool { return attemptOf(cs[i].Labels) > attemptOf(cs[j].Labels) })
	return cs, nil
}

func attemptOf(labels map[string]string) int {
	n, _ := strconv.Atoi(labels[LabelAttempt])
	return n
}

// remove force-removes a container; a container already gone is no error.
func (r *Runtime) remove(ctx context.Context, id string) error {
	_, err := r.cli.ContainerRemove(ctx, id, client.ContainerRemoveOptions{Force: true})
	if err != nil && !cerrdefs.IsNotFound(err) {
		return fmt.Errorf("remove container %s: %w", shortID(id), err)
	}
	return nil
}

// dockerID strips the runtime's URI prefix from an ID.
func dockerID(id string) string { return strings.TrimPrefix(id, idPrefix) }

func shortID(id string) string {
	id = dockerID(id)
	if len(id) > 12 {
		return id[:12]
	}
	return id
}

// containerName builds a dockershim-style name, valid for Docker
// ([a-zA-Z0-9][a-zA-Z0-9_.-]*) since Kubernetes names are DNS labels.
func containerName(container string, p *api.Pod, attempt int) string {
	return fmt.Sprintf("k8s_%s_%s_%s_%s_%d", container, p.Name, p.Namespace, p.UID, attempt)
}
