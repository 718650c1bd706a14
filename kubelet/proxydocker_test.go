package kubelet_test

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	goruntime "runtime"
	"strings"
	"testing"
	"time"

	"github.com/minik8s/minik8s/api"
	"github.com/minik8s/minik8s/internal/syncbuf"
	"github.com/minik8s/minik8s/kubelet/docker"
	"github.com/minik8s/minik8s/kubelet/runtimetest"

	"github.com/minik8s/minik8s/internal/testpoll"
)

// On Docker, pods/proxy and services/proxy reach a real pod through its
// kubelet: a page, a redirect rewritten to stay in the proxy, a closed
// port (503), a Service by port number and by port name. A port-forward
// keeps serving its open port after a connection to a closed one fails.
// Then clients that hang up mid-stream — a streamed page through the
// proxy, kubectl port-forward killed with a stream open, kubectl exec
// killed while its command runs — leave no goroutine and no file
// descriptor (socket) behind in the API server and kubelet (this process),
// and no process in the container.
func TestDockerProxyAndHangUps(t *testing.T) {
	node := testNode("klp")
	h := newDockerHarness(t, node)
	h.start()
	pod := &api.Pod{
		ObjectMeta: api.ObjectMeta{Name: "web", Labels: map[string]string{"app": "web"}},
		Spec: api.PodSpec{TerminationGracePeriodSeconds: ptr(int64(1)), Containers: []api.Container{{
			Name: "app", Image: runtimetest.TestAppImage, ImagePullPolicy: api.PullNever,
			Ports: []api.ContainerPort{{Name: "http", ContainerPort: 8080}},
			// Ready once it serves.
			ReadinessProbe: &api.Probe{PeriodSeconds: 1, ProbeHandler: api.ProbeHandler{
				HTTPGet: &api.HTTPGetAction{Path: "/", Port: api.FromString("http")}}},
		}}},
	}
	h.run(pod)
	p := h.waitPod("web", "Running and Ready", isRunningReady)

	const base = "/api/v1/namespaces/default/"
	check := func(path string, code int, body, location string) {
		t.Helper()
		c, hdr, b := proxyGet(t, h.s, "GET", path)
		if c != code || !strings.Contains(b, body) || hdr.Get("Location") != location {
			t.Errorf("GET %s: %d %q Location %q, want %d with %q, Location %q", path, c, b, hdr.Get("Location"), code, body, location)
		}
	}
	check(base+"pods/web:8080/proxy/hello", 200, "ok\n", "")
	check(base+"pods/web/proxy/hello", 200, "ok\n", "") // the first container port
	check(base+"pods/http:web:8080/proxy/", 200, "ok\n", "")
	check(base+"pods/web:8080/proxy/redirect", 302, "", base+"pods/web:8080/proxy/target")
	check(base+"pods/web:8081/proxy/", 503, "connection refused", "")

	h.kubectl("create", "service", "clusterip", "web", "--tcp=80:8080")
	h.s.Do(t, "PATCH", base+"services/web", `{"spec":{"ports":[{"name":"http","port":80,"targetPort":8080}]}}`,
		"Content-Type", "application/strategic-merge-patch+json")
	// No endpoints controller runs here: the Endpoints are written as it
	// would.
	eps := api.Endpoints{ObjectMeta: api.ObjectMeta{Name: "web", Namespace: "default"}, Subsets: []api.EndpointSubset{{
		Addresses: []api.EndpointAddress{{IP: p.Status.PodIP, TargetRef: &api.ObjectReference{Kind: "Pod", Namespace: "default", Name: "web"}}},
		Ports:     []api.EndpointPort{{Name: "http", Port: 8080, Protocol: "TCP"}},
	}}}
	if r := h.s.Do(t, "POST", base+"endpoints", eps); r.Code != http.StatusCreated {
		t.Fatalf("create endpoints: %d %s", r.Code, r.Body)
	}
	check(base+"services/web:80/proxy/a", 200, "ok\n", "")
	check(base+"services/web:http/proxy/a", 200, "ok\n", "")
	check(base+"services/http:web:http/proxy/redirect", 302, "", base+"services/http:web:http/proxy/target")

	testForwardClosedPort(t, h)

	// Hang-ups. One round first, so that what stays (kubectl's cached
	// discovery, the harness's connections) is in the baseline.
	hangUps(t, h, node, 0)
	base0, fds0 := settledGoroutines(), openFDs(t)
	// Each round hangs up once on each path: a goroutine left per hang-up
	// is above the slack of 2.
	const rounds = 4
	for i := 1; i <= rounds; i++ {
		hangUps(t, h, node, i)
	}
	deadline := time.Now().Add(15 * time.Second)
	for {
		g, f := settledGoroutines(), openFDs(t)
		if g <= base0+2 && f <= fds0+2 {
			t.Logf("after %d rounds of hang-ups: %d goroutines (baseline %d), %d fds (baseline %d)", rounds, g, base0, f, fds0)
			break
		}
		if time.Now().After(deadline) {
			buf := make([]byte, 1<<20)
			n := goruntime.Stack(buf, true)
			t.Fatalf("after %d rounds of hang-ups: %d goroutines (baseline %d), %d fds (baseline %d); goroutines:\n%s",
				rounds, g, base0, f, fds0, buf[:n])
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func ptr[T any](v T) *T { return &v }

// settledGoroutines counts goroutines after a moment for ending ones to
// end.
func settledGoroutines() int {
	time.Sleep(50 * time.Millisecond)
	return goruntime.NumGoroutine()
}

// openFDs counts this process's open file descriptors (sockets included).
func openFDs(t *testing.T) int {
	t.Helper()
	ents, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		t.Fatal(err)
	}
	return len(ents)
}

// hangUps runs one round of clients that hang up mid-stream.
func hangUps(t *testing.T, h *harness, node string, round int) {
	t.Helper()
	// A streamed page through pods/proxy, dropped after three lines.
	req, _ := http.NewRequest("GET", h.s.URL+"/api/v1/namespaces/default/pods/web:8080/proxy/stream", nil)
	req.Header.Set("Authorization", "Bearer "+h.s.Token)
	tr := h.s.HTTP.Transport.(*http.Transport).Clone()
	resp, err := (&http.Client{Transport: tr}).Do(req)
	if err != nil {
		t.Fatal(err)
	}
	readLines(t, resp.Body, 3)
	resp.Body.Close()
	tr.CloseIdleConnections()

	// kubectl port-forward killed while a stream through it is open.
	port := freePort(t)
	ctx, kill := context.WithCancel(context.Background())
	out := &syncbuf.Buffer{}
	done := make(chan struct{})
	go func() {
		_ = h.s.KubectlTo(ctx, t, out, "port-forward", "pod/web", port+":8080")
		close(done)
	}()
	waitFor(t, "port-forward listening", func() bool { return strings.Contains(out.String(), "Forwarding from 127.0.0.1:"+port) })
	conn, err := net.Dial("tcp", "127.0.0.1:"+port)
	if err != nil {
		t.Fatal(err)
	}
	fmt.Fprintf(conn, "GET /stream HTTP/1.1\r\nHost: x\r\n\r\n")
	readLines(t, conn, 5) // headers, then ticks
	kill()
	<-done
	conn.Close()

	// kubectl exec killed while its command runs: the command goes too.
	marker := fmt.Sprintf("-after=%dh", 100+round)
	running := func() bool {
		ids, _ := exec.Command("docker", "ps", "-q", "--filter", "label="+docker.LabelNode+"="+node,
			"--filter", "label="+docker.LabelContainerName+"=app").Output()
		id := strings.TrimSpace(string(ids))
		top, _ := exec.Command("docker", "top", id).Output()
		return id != "" && strings.Contains(string(top), marker)
	}
	ctx, kill = context.WithCancel(context.Background())
	done = make(chan struct{})
	go func() {
		_ = h.s.KubectlTo(ctx, t, io.Discard, "exec", "web", "--", "/testapp", "-listen=", "-exit=0", marker)
		close(done)
	}()
	waitFor(t, "the exec'd command running", running)
	kill()
	<-done
	waitFor(t, "the exec'd command gone after kubectl died", func() bool { return !running() })
}

// testForwardClosedPort forwards an open and a closed port on one
// kubectl port-forward: the open one serves, and a connection to the
// closed one fails with the pod's error, which kubectl prints. (kubectl
// 1.32 then closes the whole connection itself, "lost connection to pod",
// as it does against Kubernetes; that the server keeps a connection's
// other forwards after one fails is TestPortForwardClosedPort in
// kubelet/streaming.)
func testForwardClosedPort(t *testing.T, h *harness) {
	t.Helper()
	open, closed := freePort(t), freePort(t)
	ctx, kill := context.WithCancel(context.Background())
	defer kill()
	out := &syncbuf.Buffer{}
	go func() { _ = h.s.KubectlTo(ctx, t, out, "port-forward", "pod/web", open+":8080", closed+":8081") }()
	waitFor(t, "port-forward listening", func() bool { return strings.Contains(out.String(), "Forwarding from 127.0.0.1:"+closed) })
	get := func(port string) (string, error) {
		c := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{DisableKeepAlives: true}}
		resp, err := c.Get("http://127.0.0.1:" + port + "/")
		if err != nil {
			return "", err
		}
		defer resp.Body.Close()
		b, err := io.ReadAll(resp.Body)
		return string(b), err
	}
	if b, err := get(open); b != "ok\n" {
		t.Errorf("GET through the open forward: %q, %v", b, err)
	}
	if b, err := get(closed); err == nil {
		t.Errorf("GET through the forward to a closed port answered %q", b)
	}
	waitFor(t, "kubectl reporting the closed port", func() bool {
		return strings.Contains(out.String(), "error forwarding port 8081 to pod") && strings.Contains(out.String(), "connection refused")
	})
}

func readLines(t *testing.T, r io.Reader, n int) {
	t.Helper()
	br := bufio.NewReader(r)
	for range n {
		if _, err := br.ReadString('\n'); err != nil {
			t.Fatalf("read: %v", err)
		}
	}
}

func freePort(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	_, p, _ := net.SplitHostPort(l.Addr().String())
	return p
}

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	testpoll.Eventually(t, waitTimeout, what, cond)
}
