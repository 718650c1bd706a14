package kubelet

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/rs/zerolog"

	"github.com/minik8s/minik8s/api"
	"github.com/minik8s/minik8s/kubelet/runtime"
	"github.com/minik8s/minik8s/version"
)

// AnnotationProbeFail, on a pod of a simulated node, makes its probes of
// the listed kinds fail: "readiness", "liveness" or both, comma separated.
// Without it simulated probes succeed.
const AnnotationProbeFail = "sim.minik8s.io/probe-fail"

// Execer is an optional capability of a Runtime: running a command in a
// container, for exec probes. Runtimes without it fail exec probes with a
// message saying so.
type Execer interface {
	// Exec runs cmd in the container and returns its exit code.
	Exec(ctx context.Context, containerID string, cmd []string) (exitCode int, err error)
}

type probeKind string

const (
	readiness probeKind = "Readiness"
	liveness  probeKind = "Liveness"
)

type probeKey struct {
	uid, container string
	kind           probeKind
}

// prober runs the readiness and liveness probes of running containers,
// one goroutine per probe, and queues the pod when a result changes.
type prober struct {
	changed func(uid string)
	log     zerolog.Logger
	http    *http.Client

	mu      sync.Mutex
	workers map[probeKey]*probeWorker
}

// probeWorker probes one container instance.
type probeWorker struct {
	containerID string
	ok          atomic.Bool // the current result
	cancel      context.CancelFunc
}

func newProber(changed func(uid string), log zerolog.Logger) *prober {
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.TLSClientConfig = &tls.Config{InsecureSkipVerify: true} // as the kubelet's HTTPS probes
	tr.DisableKeepAlives = true
	return &prober{
		changed: changed,
		log:     log,
		http: &http.Client{Transport: tr, CheckRedirect: func(*http.Request, []*http.Request) error {
			return http.ErrUseLastResponse // a redirect counts as success
		}},
		workers: map[probeKey]*probeWorker{},
	}
}

// sync starts a worker for every probe of a running container of pod and
// stops those of containers that no longer run.
func (p *prober) sync(pod *api.Pod, rs *runtime.PodStatus, n *node) {
	p.mu.Lock()
	defer p.mu.Unlock()
	for i := range pod.Spec.Containers {
		c := &pod.Spec.Containers[i]
		if c.ReadinessProbe == nil && c.LivenessProbe == nil {
			continue
		}
		id := ""
		if cs := rs.Latest(c.Name); cs != nil && cs.State == runtime.StateRunning {
			id = cs.ID
		}
		for kind, probe := range map[probeKind]*api.Probe{readiness: c.ReadinessProbe, liveness: c.LivenessProbe} {
			key := probeKey{pod.UID, c.Name, kind}
			w := p.workers[key]
			if w != nil && w.containerID == id && probe != nil {
				continue
			}
			if w != nil {
				w.cancel()
				delete(p.workers, key)
			}
			if probe == nil || id == "" {
				continue
			}
			ctx, cancel := context.WithCancel(context.Background())
			w = &probeWorker{containerID: id, cancel: cancel}
			w.ok.Store(kind == liveness) // liveness passes, readiness fails until probed
			p.workers[key] = w
			go p.run(ctx, w, key, pod, c, probe, rs.IP, n)
		}
	}
}

// ready reports whether the readiness probe of the container instance id
// passes.
func (p *prober) ready(uid, container, id string) bool {
	return p.result(probeKey{uid, container, readiness}, id, false)
}

// livenessFailed reports whether the liveness probe of the container
// instance id has failed.
func (p *prober) livenessFailed(uid, container, id string) bool {
	return !p.result(probeKey{uid, container, liveness}, id, true)
}

func (p *prober) result(key probeKey, id string, def bool) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	w := p.workers[key]
	if w == nil || w.containerID != id {
		return def
	}
	return w.ok.Load()
}

// removePod stops the pod's probes.
func (p *prober) removePod(uid string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	for key, w := range p.workers {
		if key.uid == uid {
			w.cancel()
			delete(p.workers, key)
		}
	}
}

func (p *prober) stopAll() {
	p.mu.Lock()
	defer p.mu.Unlock()
	for key, w := range p.workers {
		w.cancel()
		delete(p.workers, key)
	}
}

// run probes every periodSeconds after initialDelaySeconds, and flips the
// result after successThreshold successes or failureThreshold failures in
// a row.
func (p *prober) run(ctx context.Context, w *probeWorker, key probeKey, pod *api.Pod, c *api.Container, probe *api.Probe, podIP string, n *node) {
	period := seconds(probe.PeriodSeconds, 10)
	timeout := seconds(probe.TimeoutSeconds, 1)
	successes, failures := int32(1), int32(3)
	if probe.SuccessThreshold > 0 {
		successes = probe.SuccessThreshold
	}
	if probe.FailureThreshold > 0 {
		failures = probe.FailureThreshold
	}
	select {
	case <-ctx.Done():
		return
	case <-time.After(time.Duration(probe.InitialDelaySeconds) * time.Second):
	}
	t := time.NewTicker(period)
	defer t.Stop()
	var okRun, failRun int32
	for {
		pctx, cancel := context.WithTimeout(ctx, timeout)
		err := p.probe(pctx, key.kind, pod, c, probe, podIP, w.containerID, n)
		cancel()
		if ctx.Err() != nil {
			return
		}
		if err == nil {
			okRun, failRun = okRun+1, 0
			if okRun >= successes && !w.ok.Load() {
				w.ok.Store(true)
				p.changed(key.uid)
			}
		} else {
			okRun, failRun = 0, failRun+1
			if n.Events != nil {
				n.Events.Eventf(api.ObjectReference{APIVersion: "v1", Kind: "Pod", Namespace: pod.Namespace, Name: pod.Name,
					UID: pod.UID, FieldPath: "spec.containers{" + c.Name + "}"},
					api.EventTypeWarning, EventUnhealthy, "%s probe failed: %v", key.kind, err)
			}
			if failRun >= failures && w.ok.Load() {
				w.ok.Store(false)
				p.changed(key.uid)
			}
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

func seconds(v, def int32) time.Duration {
	if v <= 0 {
		v = def
	}
	return time.Duration(v) * time.Second
}

// probe runs one probe; nil means success.
func (p *prober) probe(ctx context.Context, kind probeKind, pod *api.Pod, c *api.Container, probe *api.Probe, podIP, containerID string, n *node) error {
	if n.Simulated {
		for _, k := range strings.Split(pod.Annotations[AnnotationProbeFail], ",") {
			if strings.EqualFold(strings.TrimSpace(k), string(kind)) {
				return fmt.Errorf("simulated failure (annotation %s)", AnnotationProbeFail)
			}
		}
		return nil
	}
	switch h := probe.ProbeHandler; {
	case h.HTTPGet != nil:
		return p.httpGet(ctx, h.HTTPGet, c, podIP)
	case h.TCPSocket != nil:
		port, err := resolvePort(h.TCPSocket.Port, c)
		if err != nil {
			return err
		}
		host := h.TCPSocket.Host
		if host == "" {
			host = podIP
		}
		conn, err := (&net.Dialer{}).DialContext(ctx, "tcp", net.JoinHostPort(host, strconv.Itoa(port)))
		if err != nil {
			return err
		}
		return conn.Close()
	case h.Exec != nil:
		ex, ok := n.Runtime.(Execer)
		if !ok {
			return errors.New("exec probes are not supported by this node's container runtime")
		}
		code, err := ex.Exec(ctx, containerID, h.Exec.Command)
		if err != nil {
			return err
		}
		if code != 0 {
			return fmt.Errorf("command %q exited with %d", h.Exec.Command, code)
		}
		return nil
	}
	return errors.New("probe has no action")
}

// probeUserAgent is what an HTTP probe sends, as Kubernetes' kubelet
// does: "kube-probe/" and the major.minor of the Kubernetes version.
var probeUserAgent = func() string {
	v := strings.TrimPrefix(version.KubernetesVersion, "v")
	if i := strings.LastIndex(v, "."); i > 0 {
		v = v[:i]
	}
	return "kube-probe/" + v
}()

func (p *prober) httpGet(ctx context.Context, g *api.HTTPGetAction, c *api.Container, podIP string) error {
	port, err := resolvePort(g.Port, c)
	if err != nil {
		return err
	}
	host := g.Host
	if host == "" {
		host = podIP
	}
	scheme := "http"
	if g.Scheme == api.URISchemeHTTPS {
		scheme = "https"
	}
	path := g.Path
	if !strings.HasPrefix(path, "/") {
		path = "/" + path
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, scheme+"://"+net.JoinHostPort(host, strconv.Itoa(port))+path, nil)
	if err != nil {
		return err
	}
	req.Header.Set("User-Agent", probeUserAgent)
	for _, h := range g.HTTPHeaders {
		req.Header.Set(h.Name, h.Value)
	}
	resp, err := p.http.Do(req)
	if err != nil {
		return err
	}
	resp.Body.Close()
	if resp.StatusCode < 200 || resp.StatusCode >= 400 {
		return fmt.Errorf("HTTP probe failed with statuscode: %d", resp.StatusCode)
	}
	return nil
}

// resolvePort is a probe's port number, looking a name up among the
// container's ports.
func resolvePort(port api.IntOrString, c *api.Container) (int, error) {
	if port.Type == api.IntOrStringInt {
		return int(port.IntVal), nil
	}
	if n, err := strconv.Atoi(port.StrVal); err == nil {
		return n, nil
	}
	for _, p := range c.Ports {
		if p.Name == port.StrVal {
			return int(p.ContainerPort), nil
		}
	}
	return 0, fmt.Errorf("no port named %q in container %s", port.StrVal, c.Name)
}
