package bench

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"github.com/minik8s/minik8s/internal/syncbuf"
	"github.com/minik8s/minik8s/kubelet/docker"
)

// pfImage is an image FROM scratch holding the host's static busybox
// (Debian's busybox-static, which hack/services.sh installs): its httpd
// serves the file the port-forward downloads.
const pfImage = "minik8s/bench-busybox:1"

// portForwardScenario measures kubectl port-forward's throughput on
// `minik8s all` with one Docker node: a file of Params.PortForwardMiB
// downloaded three times through `kubectl port-forward pod/…` (the whole
// path: kubectl, the API server, the kubelet, the pod), over kubectl's
// default WebSocket protocol and over SPDY, beside the same download
// straight from the pod's IP on the Docker bridge.
func portForwardScenario(ctx context.Context, env *Env) error {
	const figure = "port-forward throughput"
	if !docker.Available(ctx, "") {
		env.Report(Row{Figure: figure, Measured: "needs a Docker engine", Verdict: VerdictSkipped})
		return nil
	}
	kubectl, err := exec.LookPath("kubectl")
	if err != nil {
		return errNoKubectl
	}
	if err := buildPortForwardImage(ctx, env); err != nil {
		return err
	}
	b := make([]byte, 4)
	_, _ = rand.Read(b)
	node := "bench-pf-" + hex.EncodeToString(b)
	// Registered before the server, so it runs after the server stopped:
	// the node agent's containers outlive it, as a kubelet's do.
	env.onCleanup(func() error { return removeNodeContainers(node) })
	config := strings.Replace(processConfig(false, false), "kubelet:\n", fmt.Sprintf("kubelet:\n  nodeName: %q\n", node), 1)
	s, err := env.StartServer(ctx, ServerOptions{Role: "all", Config: config, Args: []string{"--runtime", "docker", "--nodes", "1"}})
	if err != nil {
		return err
	}
	mib := env.Params.PortForwardMiB
	pod := fmt.Sprintf(`{"apiVersion":"v1","kind":"Pod","metadata":{"name":"pf"},"spec":{"terminationGracePeriodSeconds":1,`+
		`"containers":[{"name":"httpd","image":%q,"imagePullPolicy":"Never","command":["sh","-c",`+
		`"mkdir -p /www && dd if=/dev/zero of=/www/big bs=1048576 count=%d 2>/dev/null && exec httpd -f -p 8080 -h /www"],`+
		`"readinessProbe":{"periodSeconds":1,"tcpSocket":{"port":8080}}}]}}`, pfImage, mib)
	ip, err := createReadyPod(ctx, s, []byte(pod))
	if err != nil {
		return err
	}
	const rounds = 3
	direct, err := downloadRate(ctx, "http://"+net.JoinHostPort(ip, "8080")+"/big", rounds)
	if err != nil {
		return fmt.Errorf("download from the pod's IP: %w", err)
	}
	for _, proto := range []struct {
		name string
		env  []string
	}{
		{"WebSocket", nil},
		{"SPDY", []string{"KUBECTL_PORT_FORWARD_WEBSOCKETS=false"}},
	} {
		rate, err := forwardRate(ctx, s, kubectl, proto.env, rounds)
		if err != nil {
			return fmt.Errorf("port-forward over %s: %w", proto.name, err)
		}
		env.Report(Info(fmt.Sprintf("%s, kubectl over %s (%d MiB × %d)", figure, proto.name, mib, rounds),
			fmt.Sprintf("%.0f MiB/s = %.0f%% of the pod's IP", rate, 100*rate/direct)))
	}
	env.Report(Info(fmt.Sprintf("the same download from the pod's IP (%d MiB × %d)", mib, rounds), fmt.Sprintf("%.0f MiB/s", direct)))
	env.Note("port-forward: one kubectl port-forward per protocol, the whole path (kubectl, API server, kubelet, pod) on this machine; the file is busybox httpd's on one Docker node of `minik8s all`")
	return nil
}

// buildPortForwardImage builds pfImage from /bin/busybox.
func buildPortForwardImage(ctx context.Context, env *Env) error {
	dir, err := env.newDir("image")
	if err != nil {
		return err
	}
	bb, err := os.ReadFile("/bin/busybox")
	if err != nil {
		return fmt.Errorf("no static busybox to build %s from (apt-get install busybox-static): %w", pfImage, err)
	}
	if err := os.WriteFile(filepath.Join(dir, "busybox"), bb, 0o755); err != nil {
		return err
	}
	df := "FROM scratch\nCOPY busybox /bin/busybox\nRUN [\"/bin/busybox\", \"--install\", \"-s\", \"/bin\"]\n"
	if err := os.WriteFile(filepath.Join(dir, "Dockerfile"), []byte(df), 0o644); err != nil {
		return err
	}
	if out, err := exec.CommandContext(ctx, "docker", "build", "-q", "-t", pfImage, dir).CombinedOutput(); err != nil {
		return fmt.Errorf("docker build %s: %w: %s", pfImage, err, bytes.TrimSpace(out))
	}
	return nil
}

// createReadyPod creates a pod in default (retrying while its
// ServiceAccount does not exist yet) and returns its IP once it is Ready.
func createReadyPod(ctx context.Context, s *Server, pod []byte) (string, error) {
	ctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()
	for {
		code, b, err := s.Do(ctx, http.MethodPost, "/api/v1/namespaces/default/pods", pod)
		if err == nil && code == http.StatusCreated {
			break
		}
		if err == nil && code != http.StatusForbidden {
			return "", fmt.Errorf("create pod: %d %s", code, bytes.TrimSpace(b))
		}
		if err := s.pause(ctx); err != nil {
			return "", fmt.Errorf("create pod: %w (last: %s)", err, bytes.TrimSpace(b))
		}
	}
	var p struct {
		Status struct {
			PodIP      string `json:"podIP"`
			Conditions []struct{ Type, Status string }
		} `json:"status"`
	}
	for {
		_, b, err := s.Do(ctx, http.MethodGet, "/api/v1/namespaces/default/pods/pf", nil)
		if err == nil && json.Unmarshal(b, &p) == nil && p.Status.PodIP != "" {
			for _, c := range p.Status.Conditions {
				if c.Type == "Ready" && c.Status == "True" {
					return p.Status.PodIP, nil
				}
			}
		}
		if err := s.pause(ctx); err != nil {
			return "", fmt.Errorf("pod not Ready: %w", err)
		}
	}
}

// forwardRate runs kubectl port-forward to the pod and downloads its file
// through it rounds times.
func forwardRate(ctx context.Context, s *Server, kubectl string, extraEnv []string, rounds int) (float64, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	_, port, _ := net.SplitHostPort(l.Addr().String())
	l.Close()
	ctx, cancel := context.WithTimeout(ctx, 5*time.Minute)
	defer cancel()
	out := &syncbuf.Buffer{}
	cmd := exec.CommandContext(ctx, kubectl, "--kubeconfig", s.Kubeconfig, "port-forward", "pod/pf", port+":8080")
	cmd.Env = append(os.Environ(), extraEnv...)
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Start(); err != nil {
		return 0, err
	}
	defer func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
	}()
	for !strings.Contains(out.String(), "Forwarding from 127.0.0.1:"+port) {
		if err := s.pause(ctx); err != nil {
			return 0, fmt.Errorf("kubectl port-forward did not start: %w: %s", err, out.String())
		}
	}
	rate, err := downloadRate(ctx, "http://127.0.0.1:"+port+"/big", rounds)
	if err != nil {
		return 0, fmt.Errorf("%w (kubectl: %s)", err, strings.TrimSpace(out.String()))
	}
	return rate, nil
}

// downloadRate GETs url rounds times, one after the other, and returns
// the MiB/s of the bodies.
func downloadRate(ctx context.Context, url string, rounds int) (float64, error) {
	c := &http.Client{Transport: &http.Transport{DisableCompression: true}}
	defer c.CloseIdleConnections()
	var n int64
	start := time.Now()
	for range rounds {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
		if err != nil {
			return 0, err
		}
		resp, err := c.Do(req)
		if err != nil {
			return 0, err
		}
		m, err := io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if err != nil {
			return 0, err
		}
		if resp.StatusCode != http.StatusOK {
			return 0, fmt.Errorf("GET %s: %s", url, resp.Status)
		}
		n += m
	}
	if n == 0 {
		return 0, errors.New("nothing downloaded")
	}
	return float64(n) / (1 << 20) / time.Since(start).Seconds(), nil
}

// removeNodeContainers removes every container of node.
func removeNodeContainers(node string) error {
	out, err := exec.Command("docker", "ps", "-aq", "--filter", "label="+docker.LabelNode+"="+node).Output()
	if err != nil {
		return fmt.Errorf("list containers of %s: %w", node, err)
	}
	if ids := strings.Fields(string(out)); len(ids) > 0 {
		if out, err := exec.Command("docker", append([]string{"rm", "-f"}, ids...)...).CombinedOutput(); err != nil {
			return fmt.Errorf("remove containers of %s: %w: %s", node, err, out)
		}
	}
	return nil
}
