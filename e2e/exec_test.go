package e2e

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/creack/pty"

	"github.com/minik8s/minik8s/internal/syncbuf"
	"github.com/minik8s/minik8s/internal/testpoll"
	"github.com/minik8s/minik8s/internal/testsvc"
	"github.com/minik8s/minik8s/kubelet/docker"
)

// busyboxImage is an image FROM scratch holding the host's static busybox
// (Debian's busybox-static, see hack/services.sh) with its applets
// installed: a shell and tar in pods, without a registry.
const busyboxImage = "minik8s/e2e-busybox:1"

// buildBusyboxImage builds busyboxImage from /bin/busybox.
func buildBusyboxImage(t *testing.T) {
	t.Helper()
	if _, err := os.Stat("/bin/busybox"); err != nil {
		t.Fatalf("no static busybox to build %s from (apt-get install busybox-static; see hack/services.sh): %v", busyboxImage, err)
	}
	const dockerfile = "FROM scratch\nCOPY busybox /bin/busybox\nRUN [\"/bin/busybox\", \"--install\", \"-s\", \"/bin\"]\n"
	buildImage(t, busyboxImage, dockerfile, map[string]string{"busybox": "/bin/busybox"})
}

// execPod has two containers, each of which wrote its name to /who.
const execPod = `apiVersion: v1
kind: Pod
metadata:
  name: bb
spec:
  terminationGracePeriodSeconds: 1
  containers:
  - name: main
    image: ` + busyboxImage + `
    imagePullPolicy: Never
    command: ["sh", "-c", "echo main > /who; exec sleep 100000"]
  - name: side
    image: ` + busyboxImage + `
    imagePullPolicy: Never
    command: ["sh", "-c", "echo side > /who; exec sleep 100000"]
`

// TestExecDocker runs kubectl exec against pods on the Docker runtime:
// stdin, exit codes, -c, a TTY driven through a pseudo-terminal, both
// protocols (WebSocket, kubectl's default, and the SPDY fallback), and a
// client that hangs up mid-command leaving no process in the container.
func TestExecDocker(t *testing.T) {
	testsvc.Require(t, testsvc.Docker)
	t.Parallel()
	if !docker.Available(context.Background(), "") {
		t.Fatal("MINIK8S_TEST_DOCKER is set but no Docker engine answers")
	}
	buildBusyboxImage(t)
	b := make([]byte, 4)
	_, _ = rand.Read(b)
	node := "e2e-exec-" + hex.EncodeToString(b)
	t.Cleanup(func() { removeContainers(t, []string{node}) })
	c := startCluster(t, clusterOptions{nodeName: node, args: []string{"--runtime", "docker", "--nodes", "1"}})
	c.kubectlStdin(execPod, "apply", "-f", "-")
	c.kubectlStdin(webPod, "apply", "-f", "-")
	c.kubectlStdin(halfPod, "apply", "-f", "-")
	// A Service whose target port is the container port's name, and a
	// Deployment, for port-forward svc/… and deploy/… (kubectl resolves
	// them to a pod and its port itself).
	c.kubectl("expose", "pod", "web", "--port=80", "--target-port=http")
	c.kubectl("create", "deployment", "dep", "--image="+busyboxImage, "--",
		"sh", "-c", "mkdir -p /www && echo hello-dep > /www/index.html && exec httpd -f -p 8080 -h /www")
	c.waitRunning(1, "bb")
	c.waitRunning(1, "web")
	c.waitRunning(1, "-l", "app=dep")
	testAttach(t, c)
	testPodDNS(t, c)
	testExecStopped(t, c)
	testKubectlProxy(t, c)
	testRunInteractive(t, c)

	for _, proto := range []struct {
		name string
		env  []string
	}{
		{"websocket", nil},
		{"spdy", []string{"KUBECTL_REMOTE_COMMAND_WEBSOCKETS=false", "KUBECTL_PORT_FORWARD_WEBSOCKETS=false"}},
	} {
		t.Run(proto.name, func(t *testing.T) {
			run := func(stdin string, args ...string) result {
				ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
				defer cancel()
				return runKubectl(ctx, append([]string{"KUBECONFIG=" + c.kubeconfig}, proto.env...), stdin, args...)
			}
			if r := run("hi\nthere\n", "exec", "-i", "bb", "-c", "main", "--", "cat"); r.code != 0 || r.stdout != "hi\nthere\n" {
				t.Errorf("stdin through cat: %v", r)
			}
			if r := run("", "exec", "bb", "-c", "main", "--", "sh", "-c", "echo out; echo err >&2; exit 3"); r.code != 3 ||
				r.stdout != "out\n" || !strings.Contains(r.stderr, "err\n") {
				t.Errorf("exit 3: %v", r)
			}
			if r := run("", "exec", "bb", "-c", "side", "--", "cat", "/who"); r.code != 0 || r.stdout != "side\n" {
				t.Errorf("-c side: %v", r)
			}
			if r := run("", "exec", "bb", "-c", "nope", "--", "true"); r.code != 1 ||
				!strings.Contains(r.stderr, "container nope is not valid for pod bb") {
				t.Errorf("-c nope: %v", r)
			}
			testCopy(t, run)
			testExecTTY(t, c, proto.env)
			testExecHangUp(t, c, node, proto.env)
			testPortForward(t, c, proto.env, "pod/web", "8080", "hello-pf\n")
			testPortForward(t, c, proto.env, "svc/web", "80", "hello-pf\n")
			testPortForward(t, c, proto.env, "deploy/dep", "8080", "hello-dep\n")
		})
	}
}

// testCopy copies a file into the pod and back with kubectl cp (tar over
// exec).
func testCopy(t *testing.T, run func(stdin string, args ...string) result) {
	t.Helper()
	dir := t.TempDir()
	src, back := dir+"/in.txt", dir+"/back.txt"
	if err := os.WriteFile(src, []byte("copied both ways\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if r := run("", "cp", src, "bb:/in.txt", "-c", "main"); r.code != 0 {
		t.Fatalf("cp into the pod: %v", r)
	}
	if r := run("", "exec", "bb", "-c", "main", "--", "cat", "/in.txt"); r.stdout != "copied both ways\n" {
		t.Errorf("the copied file in the pod: %v", r)
	}
	if r := run("", "cp", "bb:/who", back, "-c", "side"); r.code != 0 {
		t.Fatalf("cp out of the pod: %v", r)
	}
	if b, err := os.ReadFile(back); err != nil || string(b) != "side\n" {
		t.Errorf("the file copied out of the pod: %q, %v", b, err)
	}
}

// attachPod echoes what comes on its stdin, which closes when the first
// attach ends (stdinOnce): then it exits.
const attachPod = `apiVersion: v1
kind: Pod
metadata:
  name: att
spec:
  restartPolicy: Never
  terminationGracePeriodSeconds: 1
  containers:
  - name: echo
    image: ` + busyboxImage + `
    imagePullPolicy: Never
    stdin: true
    stdinOnce: true
    command: ["sh", "-c", "while read l; do echo got $l; done; echo bye"]
`

// testAttach attaches to a process reading its stdin: kubectl attach -i
// passes input to it and shows its output until it exits.
func testAttach(t *testing.T, c *cluster) {
	t.Helper()
	c.kubectlStdin(attachPod, "apply", "-f", "-")
	c.waitRunning(1, "att")
	r := c.kubectlRun("hello\nworld\n", "attach", "-i", "att")
	if !strings.Contains(r.stdout, "got hello\ngot world\nbye\n") {
		t.Errorf("attach -i: %v", r)
	}
}

// webPod serves "hello-pf" over HTTP on port 8080 (named http) with
// busybox's httpd.
const webPod = `apiVersion: v1
kind: Pod
metadata:
  name: web
  labels: {app: web}
spec:
  terminationGracePeriodSeconds: 1
  containers:
  - name: httpd
    image: ` + busyboxImage + `
    imagePullPolicy: Never
    ports: [{name: http, containerPort: 8080}]
    command: ["sh", "-c", "mkdir -p /www && echo hello-pf > /www/index.html && exec httpd -f -p 8080 -h /www"]
`

// halfPod has a container that has exited beside one that runs.
const halfPod = `apiVersion: v1
kind: Pod
metadata:
  name: half
spec:
  restartPolicy: Never
  terminationGracePeriodSeconds: 1
  containers:
  - name: done
    image: ` + busyboxImage + `
    imagePullPolicy: Never
    command: ["true"]
  - name: up
    image: ` + busyboxImage + `
    imagePullPolicy: Never
    command: ["sleep", "100000"]
`

// testPortForward runs kubectl port-forward TARGET LOCAL:remote and GETs
// the page through it, twice (two connections over one forward).
func testPortForward(t *testing.T, c *cluster, env []string, target, remote, want string) {
	t.Helper()
	_, port, _ := net.SplitHostPort(freeAddr(t))
	ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
	defer cancel()
	out := &syncbuf.Buffer{}
	cmd := exec.CommandContext(ctx, kubectl, "port-forward", target, port+":"+remote)
	cmd.Env = append(append(cleanEnv(), "KUBECONFIG="+c.kubeconfig), env...)
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
		if t.Failed() {
			t.Logf("kubectl port-forward %s:\n%s", target, out.String())
		}
	}()
	eventually(t, testTimeout, "kubectl port-forward listening", func() string {
		if !strings.Contains(out.String(), "Forwarding from 127.0.0.1:"+port) {
			return "output so far: " + out.String()
		}
		return ""
	})
	for i := 0; i < 2; i++ {
		resp, err := http.Get("http://127.0.0.1:" + port + "/")
		if err != nil {
			t.Fatalf("GET through port-forward: %v", err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if string(body) != want {
			t.Errorf("GET through port-forward %s: %s %q, want %q", target, resp.Status, body, want)
		}
	}
}

// testExecTTY runs `kubectl exec -it` on a pseudo-terminal of 33x77: the
// shell sees that size, then 41x99 once the terminal is resized, and its
// exit code comes back.
func testExecTTY(t *testing.T, c *cluster, env []string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, kubectl, "exec", "-it", "bb", "-c", "main", "--", "sh")
	cmd.Env = append(append(cleanEnv(), "KUBECONFIG="+c.kubeconfig), env...)
	tty, err := pty.StartWithSize(cmd, &pty.Winsize{Rows: 33, Cols: 77})
	if err != nil {
		t.Fatal(err)
	}
	defer tty.Close()
	var out syncbuf.Buffer
	copied := make(chan struct{})
	go func() {
		_, _ = io.Copy(&out, tty) // ends with EIO once kubectl exits
		close(copied)
	}()
	defer func() {
		if t.Failed() {
			t.Logf("kubectl exec -it output:\n%q", out.String())
		}
	}()
	// Type once the shell's prompt shows, as a person would: the size
	// reaches the exec's terminal with a resize once the process runs
	// (kubectl sends it first; Kubernetes' runtimes apply it the same way).
	testpoll.Eventually(t, 10*time.Second, "the shell's prompt", func() bool {
		return strings.Contains(out.String(), "# ")
	})
	typed := func(line string) {
		t.Helper()
		if _, err := io.WriteString(tty, line+"\n"); err != nil {
			t.Fatal(err)
		}
	}
	typed("stty size; tty")
	testpoll.Eventually(t, 10*time.Second, "the terminal's size 33 77 and a /dev/pts tty", func() bool {
		return strings.Contains(out.String(), "33 77") && strings.Contains(out.String(), "/dev/pts/")
	})
	// Resized mid-session: kubectl gets SIGWINCH and sends the new size on
	// its resize stream; the shell's terminal follows. Asked again until
	// it does (the resize and the typed line travel on separate streams).
	if err := pty.Setsize(tty, &pty.Winsize{Rows: 41, Cols: 99}); err != nil {
		t.Fatal(err)
	}
	testpoll.Eventually(t, 10*time.Second, "the terminal's new size 41 99 after a resize", func() bool {
		typed("stty size")
		return strings.Contains(out.String(), "41 99")
	})
	typed("exit 5")
	_ = cmd.Wait()
	tty.Close()
	<-copied
	if code := cmd.ProcessState.ExitCode(); code != 5 {
		t.Errorf("exec -it exited %d, want 5; output:\n%q", code, out.String())
	}
}

// testExecHangUp kills kubectl while its command runs: the command must
// be gone from the container soon after.
func testExecHangUp(t *testing.T, c *cluster, node string, env []string) {
	t.Helper()
	out, err := exec.Command("docker", "ps", "-q", "--filter", "label="+docker.LabelNode+"="+node,
		"--filter", "label="+docker.LabelPodName+"=bb", "--filter", "label="+docker.LabelContainerName+"=main").Output()
	id := strings.TrimSpace(string(out))
	if err != nil || id == "" {
		t.Fatalf("find container main: %v %q", err, out)
	}
	marker := "sleep 7" + hex.EncodeToString([]byte{byte(len(env))}) // one per protocol
	running := func() bool {
		top, _ := exec.Command("docker", "top", id).Output()
		return strings.Contains(string(top), marker)
	}
	cmd := exec.Command(kubectl, "exec", "bb", "-c", "main", "--", "sh", "-c", "exec "+marker)
	cmd.Env = append(append(cleanEnv(), "KUBECONFIG="+c.kubeconfig), env...)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	eventually(t, testTimeout, "the exec'd command running", func() string {
		if !running() {
			return "no " + marker + " in docker top"
		}
		return ""
	})
	_ = cmd.Process.Kill()
	_ = cmd.Wait()
	eventually(t, testTimeout, "the exec'd command gone after kubectl died", func() string {
		if running() {
			return marker + " still runs"
		}
		return ""
	})
}

// TestExecSimulatedRuntime: the simulated runtime has no processes, so an
// exec into its pod is a 400 saying so, at once, on both protocols.
func TestExecSimulatedRuntime(t *testing.T) {
	t.Parallel()
	c := startCluster(t, clusterOptions{args: []string{"--nodes", "1", "--runtime", "sim"}})
	c.kubectl("run", "sim", "--image=nginx:1.27")
	c.waitRunning(1)
	for _, env := range [][]string{nil, {"KUBECTL_REMOTE_COMMAND_WEBSOCKETS=false"}} {
		ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
		r := runKubectl(ctx, append([]string{"KUBECONFIG=" + c.kubeconfig}, env...), "", "exec", "sim", "--", "true")
		cancel()
		if r.code != 1 || !strings.Contains(r.stderr, "simulated runtime, which has no processes") {
			t.Errorf("exec into a simulated pod (%v): %v", env, r)
		}
	}
}

// dnsNonePod takes its /etc/resolv.conf from its dnsConfig only.
const dnsNonePod = `apiVersion: v1
kind: Pod
metadata:
  name: dnsnone
spec:
  terminationGracePeriodSeconds: 1
  dnsPolicy: None
  dnsConfig:
    nameservers: [192.0.2.53]
    searches: [corp.example, lab.example]
    options: [{name: ndots, value: "2"}, {name: edns0}]
  containers:
  - name: main
    image: ` + busyboxImage + `
    imagePullPolicy: Never
    command: ["sleep", "100000"]
`

// testPodDNS reads the /etc/resolv.conf of a pod with dnsPolicy None
// (its dnsConfig, nothing else) and of bb (ClusterFirst, the default: the
// cluster DNS and Kubernetes' search path), as Kubernetes writes them.
func testPodDNS(t *testing.T, c *cluster) {
	t.Helper()
	c.kubectlStdin(dnsNonePod, "apply", "-f", "-")
	c.waitRunning(1, "dnsnone")
	resolvConf := func(pod string) []string {
		t.Helper()
		var lines []string
		for _, l := range strings.Split(c.kubectl("exec", pod, "-c", "main", "--", "cat", "/etc/resolv.conf"), "\n") {
			if l = strings.TrimSpace(l); l != "" && !strings.HasPrefix(l, "#") {
				lines = append(lines, l)
			}
		}
		slices.Sort(lines) // the order of the lines does not matter to a resolver
		return lines
	}
	want := []string{"nameserver 192.0.2.53", "options ndots:2 edns0", "search corp.example lab.example"}
	if got := resolvConf("dnsnone"); !slices.Equal(got, want) {
		t.Errorf("resolv.conf of a pod with dnsPolicy None: %q, want %q", got, want)
	}
	got := resolvConf("bb")
	if len(got) != 3 || !strings.HasPrefix(got[0], "nameserver ") || got[0] == want[0] ||
		got[1] != "options ndots:5" || got[2] != "search default.svc.cluster.local svc.cluster.local cluster.local" {
		t.Errorf("resolv.conf of a ClusterFirst pod: %q, want the cluster DNS and Kubernetes' search path", got)
	}
}

// testExecStopped: an exec into a container that has exited is a Status
// error saying it does not run; one into a missing container says so too.
func testExecStopped(t *testing.T, c *cluster) {
	t.Helper()
	eventually(t, testTimeout, "container done of pod half terminated", func() string {
		r := c.kubectlRun("", "get", "pod", "half", "-o", `jsonpath={.status.containerStatuses[?(@.name=="done")].state.terminated.reason}`)
		if r.stdout != "Completed" {
			return "state so far: " + r.String()
		}
		return ""
	})
	if r := c.kubectlRun("", "exec", "half", "-c", "done", "--", "true"); r.code == 0 ||
		!strings.Contains(r.stderr, `container "done" in pod "half" is not running`) {
		t.Errorf("exec into a stopped container: %v", r)
	}
	if r := c.kubectlRun("", "exec", "half", "-c", "gone", "--", "true"); r.code == 0 ||
		!strings.Contains(r.stderr, "container gone is not valid for pod half") {
		t.Errorf("exec into a missing container: %v", r)
	}
}

// testKubectlProxy runs kubectl proxy and GETs the pod proxy URL and the
// service proxy URL of the tutorials through it.
func testKubectlProxy(t *testing.T, c *cluster) {
	t.Helper()
	_, port, _ := net.SplitHostPort(freeAddr(t))
	ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
	defer cancel()
	out := &syncbuf.Buffer{}
	cmd := exec.CommandContext(ctx, kubectl, "proxy", "--port="+port)
	cmd.Env = append(cleanEnv(), "KUBECONFIG="+c.kubeconfig)
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
	}()
	eventually(t, testTimeout, "kubectl proxy serving", func() string {
		if !strings.Contains(out.String(), "Starting to serve on 127.0.0.1:"+port) {
			return "output so far: " + out.String()
		}
		return ""
	})
	for _, path := range []string{
		"/api/v1/namespaces/default/pods/web:8080/proxy/",
		"/api/v1/namespaces/default/pods/web/proxy/index.html", // the first container port
		"/api/v1/namespaces/default/services/web:80/proxy/",
		"/api/v1/namespaces/default/services/http:web:80/proxy/",
	} {
		// The Service's endpoints follow the pod's readiness.
		eventually(t, testTimeout, "GET "+path+" through kubectl proxy", func() string {
			resp, err := http.Get("http://127.0.0.1:" + port + path)
			if err != nil {
				return err.Error()
			}
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != http.StatusOK || string(body) != "hello-pf\n" {
				return fmt.Sprintf("%s %q", resp.Status, body)
			}
			return ""
		})
	}
}

// testRunInteractive runs `kubectl run -it --rm` on a pseudo-terminal: a
// shell in a new pod gets the input, its exit code comes back, and the pod
// is deleted afterwards.
func testRunInteractive(t *testing.T, c *cluster) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, kubectl, "run", "rr", "-it", "--rm", "--restart=Never",
		"--image="+busyboxImage, "--image-pull-policy=Never", "--", "sh")
	cmd.Env = append(cleanEnv(), "KUBECONFIG="+c.kubeconfig)
	tty, err := pty.StartWithSize(cmd, &pty.Winsize{Rows: 24, Cols: 80})
	if err != nil {
		t.Fatal(err)
	}
	defer tty.Close()
	var out syncbuf.Buffer
	copied := make(chan struct{})
	go func() {
		_, _ = io.Copy(&out, tty)
		close(copied)
	}()
	// Typed once kubectl is attached (it says so); the shell echoes the
	// sum, not the input.
	eventually(t, testTimeout, "kubectl run attached", func() string {
		if !strings.Contains(out.String(), "try pressing enter") {
			return "output so far: " + out.String()
		}
		return ""
	})
	if _, err := io.WriteString(tty, "echo sum=$((40+2)); exit 4\n"); err != nil {
		t.Fatal(err)
	}
	_ = cmd.Wait()
	tty.Close()
	<-copied
	if !strings.Contains(out.String(), "sum=42") {
		t.Errorf("kubectl run -it output lacks the shell's answer:\n%q", out.String())
	}
	if code := cmd.ProcessState.ExitCode(); code != 4 {
		t.Errorf("kubectl run -it exited %d, want 4; output:\n%q", code, out.String())
	}
	eventually(t, testTimeout, "pod rr deleted by --rm", func() string {
		if r := c.kubectlRun("", "get", "pod", "rr"); r.code == 0 {
			return "still there: " + r.stdout
		}
		return ""
	})
}
