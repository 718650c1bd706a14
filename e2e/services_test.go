package e2e

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/google/nftables"
	"github.com/google/nftables/expr"

	"github.com/minik8s/minik8s/api"
	"github.com/minik8s/minik8s/app"
	"github.com/minik8s/minik8s/client"
	"github.com/minik8s/minik8s/internal/testsvc"
	"github.com/minik8s/minik8s/kubelet/docker"
	"github.com/minik8s/minik8s/kubeproxy/nft"
	"github.com/minik8s/minik8s/pki"
)

// netHelloImage is the demo web server (and `hello get` client) built from
// the binary under test, under a tag of its own so that other builds of
// minik8s/hello:1 on the same engine cannot change it under the test.
const netHelloImage = "minik8s/e2e-net-hello:1"

// headlessDB is a headless Service and a pod with a hostname in its
// subdomain, as a StatefulSet's pods have.
const headlessDB = `apiVersion: v1
kind: Service
metadata:
  name: db
spec:
  clusterIP: None
  selector:
    app: db
  ports:
  - name: http
    port: 8080
---
apiVersion: v1
kind: Pod
metadata:
  name: db-0
  labels:
    app: db
spec:
  hostname: db-0
  subdomain: db
  terminationGracePeriodSeconds: 1
  containers:
  - name: app
    image: ` + netHelloImage + `
    imagePullPolicy: Never
`

// TestServicesDocker runs the first hour of a Kubernetes tutorial on Docker
// nodes: kubectl expose deployment --type=NodePort and curl on the node
// port, which spreads over the 3 replicas; a pod reaching Services by
// cluster IP (spread too) and by DNS name (headless and pod hostnames
// too); a Service without endpoints refusing connections, and answering
// soon after its EndpointSlice has an endpoint again; and the host left
// clean after Ctrl-C (no nftables table, no DNS listener), with a restart
// programming each rule once.
func TestServicesDocker(t *testing.T) {
	testsvc.Require(t, testsvc.Docker)
	t.Parallel()
	if !docker.Available(context.Background(), "") {
		t.Fatal("MINIK8S_TEST_DOCKER is set but no Docker engine answers")
	}
	buildImage(t, netHelloImage, "FROM scratch\nCOPY hello /hello\nENV MINIK8S_HELLO=1\nENTRYPOINT [\"/hello\"]\n",
		map[string]string{"hello": binPath})
	b := make([]byte, 4)
	_, _ = rand.Read(b)
	base := "e2e-net-" + hex.EncodeToString(b)
	nodes := []string{base + "-1", base + "-2", base + "-3"}
	t.Cleanup(func() { removeContainers(t, nodes) })
	opts := clusterOptions{nodeName: base, args: []string{"--runtime", "docker", "--nodes", "3"}}
	c := startCluster(t, opts)
	if !strings.Contains(c.stdout.String(), "nftables, cluster DNS at") {
		t.Fatalf("all does not say it programs nftables with a cluster DNS:\n%s", c.stdout.String())
	}
	cluster, err := pki.ClusterIDOf(pki.In(c.dataDir))
	if err != nil {
		t.Fatal(err)
	}
	table := app.NftTable(cluster)

	c.kubectl("create", "deployment", "web", "--image="+netHelloImage, "--replicas=3")
	c.kubectl("expose", "deployment", "web", "--type=NodePort", "--port=80", "--target-port=8080")
	c.kubectl("run", "client", "--image="+netHelloImage, "--image-pull-policy=Never")
	c.kubectlStdin(headlessDB, "apply", "-f", "-")
	pods := c.waitRunning(3, "-l", "app=web")
	c.waitRunning(1, "client")
	c.waitRunning(1, "db-0")
	nodePort := c.kubectl("get", "svc", "web", "-o", "jsonpath={.spec.ports[0].nodePort}")
	clusterIP := c.kubectl("get", "svc", "web", "-o", "jsonpath={.spec.clusterIP}")
	nodeURL := "http://127.0.0.1:" + nodePort + "/"

	// The node port spreads over every replica.
	want := map[string]bool{}
	for _, p := range pods {
		want["hello from "+p.name] = true
	}
	answeredByAll(t, "node port "+nodePort, want, func() (string, error) { return get(nodeURL) })
	// The cluster IP from the host (through OUTPUT).
	if body, err := get("http://" + clusterIP + "/"); err != nil || !want[body] {
		t.Errorf("cluster IP %s from the host: %q, %v", clusterIP, body, err)
	}

	// From a pod: by cluster IP, spread over every replica too.
	answeredByAll(t, "cluster IP "+clusterIP+" from the client pod", want, func() (string, error) {
		r := c.kubectlRun("", "exec", "client", "--", "/hello", "get", "http://"+clusterIP+"/")
		if r.code != 0 {
			return "", errors.New(r.String())
		}
		return strings.TrimSpace(r.stdout), nil
	})
	// By short, namespaced and full DNS names, a headless Service and a
	// pod's hostname in it.
	for _, u := range []string{"http://web/", "http://web.default/", "http://web.default.svc.cluster.local/"} {
		eventually(t, testTimeout, "client pod gets "+u, func() string {
			r := c.kubectlRun("", "exec", "client", "--", "/hello", "get", u)
			if r.code != 0 || !want[strings.TrimSpace(r.stdout)] {
				return r.String()
			}
			return ""
		})
	}
	for _, u := range []string{"http://db:8080/", "http://db-0.db:8080/"} {
		eventually(t, testTimeout, "client pod gets "+u, func() string {
			r := c.kubectlRun("", "exec", "client", "--", "/hello", "get", u)
			if r.code != 0 || strings.TrimSpace(r.stdout) != "hello from db-0" {
				return r.String()
			}
			return ""
		})
	}
	if r := c.kubectlRun("", "exec", "client", "--", "/hello", "get", "http://nope.default.svc.cluster.local/"); r.code == 0 ||
		!strings.Contains(r.stderr, "no such host") {
		t.Errorf("a name the cluster does not have: want no such host: %v", r)
	}

	// The data plane follows web's EndpointSlices, timed from the moment
	// the test's watch sees them change to the node port agreeing: no
	// endpoint left (no pod is one any more), refused rather than hanging;
	// a ready endpoint again, answering. The issue asks for within a
	// second; the bound is generous against a loaded machine, the figures
	// are logged.
	refused := func() bool {
		_, err := getWithin(nodeURL, followProbe)
		return errors.Is(err, syscall.ECONNREFUSED)
	}
	answers := func() bool {
		_, err := getWithin(nodeURL, followProbe)
		return err == nil
	}
	for _, step := range []struct {
		what      string
		replicas  string
		sliceSays func([]api.Endpoint) bool
		dataSays  func() bool
	}{
		{"no endpoint left, the node port refuses", "0", func(eps []api.Endpoint) bool { return len(eps) == 0 }, refused},
		{"a ready endpoint again, the node port answers", "3", hasReady, answers},
	} {
		took := dataPlaneFollows(t, c, "web", func() { c.kubectl("scale", "deployment", "web", "--replicas="+step.replicas) },
			step.sliceSays, step.dataSays)
		t.Logf("%s %s after the EndpointSlice change", step.what, took)
		if took > followBound {
			t.Errorf("%s %s after the EndpointSlice change, want within a second (bound %s)", step.what, took, followBound)
		}
	}
	c.waitRunning(3, "-l", "app=web")

	// Ctrl-C leaves the host clean.
	dnsAddr := regexp.MustCompile(`cluster DNS serving .*listen=(\S+)`).FindStringSubmatch(plain(c.stderr.String()))
	if dnsAddr == nil {
		t.Fatal("no 'cluster DNS serving' line in the log")
	}
	c.interrupt()
	assertHostClean(t, table, dnsAddr[1], nodeURL)

	// A restart programs each rule once.
	opts.dataDir = c.dataDir
	c2 := startCluster(t, opts)
	eventually(t, testTimeout, "node port answering after a restart", func() string {
		if _, err := get(nodeURL); err != nil {
			return err.Error()
		}
		return ""
	})
	if n := rulesTo(t, table, "services", "svc-default/web/tcp/80"); n != 2 {
		t.Errorf("after a restart the services chain has %d rules to web's chain, want 2 (cluster IP, node port)", n)
	}
	c2.interrupt()
	assertHostClean(t, table, "", nodeURL)
}

// answeredByAll fetches until every answer in want has come back (a
// Service spreading over its replicas); other answers and errors do not
// count.
func answeredByAll(t *testing.T, what string, want map[string]bool, fetch func() (string, error)) {
	t.Helper()
	seen := map[string]bool{}
	eventually(t, testTimeout, fmt.Sprintf("%s answered by all %d replicas", what, len(want)), func() string {
		body, err := fetch()
		if err != nil {
			return err.Error()
		}
		if !want[body] {
			return fmt.Sprintf("answer %q is from none of %v", body, want)
		}
		seen[body] = true
		if len(seen) < len(want) {
			return fmt.Sprintf("only %d of %d replicas answered so far", len(seen), len(want))
		}
		return ""
	})
}

// followBound bounds how long the data plane may take to follow an
// EndpointSlice change (the issue asks for a second), and followProbe one
// probe of it (a connection hanging longer counts as a failed probe).
const (
	followBound = 5 * time.Second
	followProbe = 300 * time.Millisecond
)

// dataPlaneFollows runs change and returns how long after the test's
// watch saw the endpoints of Service svc's EndpointSlices (in default)
// satisfy sliceSays the data plane satisfied dataSays, probed every 10ms
// from then on.
func dataPlaneFollows(t *testing.T, c *cluster, svc string, change func(), sliceSays func([]api.Endpoint) bool, dataSays func() bool) time.Duration {
	t.Helper()
	cl, err := client.FromKubeconfig(c.kubeconfig, -1, 0)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
	defer cancel()
	// From resourceVersion 0: the current slices come first as ADDED.
	events, err := cl.EndpointSlices("default").Watch(ctx, client.ListOptions{LabelSelector: api.LabelServiceName + "=" + svc}, 0)
	if err != nil {
		t.Fatal(err)
	}
	seen := make(chan time.Time, 1)
	go func() {
		slices := map[string][]api.Endpoint{}
		for ev := range events {
			switch ev.Type {
			case client.Added, client.Modified:
				slices[ev.Object.Name] = ev.Object.Endpoints
			case client.Deleted:
				delete(slices, ev.Object.Name)
			default:
				continue
			}
			var eps []api.Endpoint
			for _, s := range slices {
				eps = append(eps, s...)
			}
			if sliceSays(eps) {
				seen <- time.Now()
				return
			}
		}
	}()
	change()
	var at time.Time
	select {
	case at = <-seen:
	case <-ctx.Done():
		t.Fatalf("%s's EndpointSlices not as expected after %s", svc, testTimeout)
	}
	for !dataSays() {
		if ctx.Err() != nil {
			t.Fatalf("the data plane does not follow %s's EndpointSlices after %s", svc, testTimeout)
		}
		time.Sleep(10 * time.Millisecond)
	}
	return time.Since(at)
}

// hasReady reports whether an endpoint is ready.
func hasReady(eps []api.Endpoint) bool {
	for _, e := range eps {
		if r := e.Conditions.Ready; r == nil || *r { // nil means ready
			return true
		}
	}
	return false
}

// assertHostClean checks that the cluster's table is gone, nothing
// listens on the DNS address (when given) and the node port is closed.
func assertHostClean(t *testing.T, table, dnsAddr, nodeURL string) {
	t.Helper()
	if ok, err := nft.TableExists(table); err != nil || ok {
		t.Errorf("nftables table %s left after Ctrl-C (%v)", table, err)
	}
	if dnsAddr != "" {
		if conn, err := net.DialTimeout("tcp", dnsAddr, time.Second); err == nil {
			conn.Close()
			t.Errorf("the DNS server still listens on %s after Ctrl-C", dnsAddr)
		}
	}
	if _, err := get(nodeURL); err == nil {
		t.Errorf("%s still answers after Ctrl-C", nodeURL)
	}
}

// rulesTo counts the rules of chain in table that jump or go to target.
func rulesTo(t *testing.T, table, chain, target string) int {
	t.Helper()
	conn, err := nftables.New()
	if err != nil {
		t.Fatal(err)
	}
	rules, err := conn.GetRules(&nftables.Table{Family: nftables.TableFamilyIPv4, Name: table}, &nftables.Chain{Name: chain})
	if err != nil {
		t.Fatalf("list rules of %s %s: %v", table, chain, err)
	}
	n := 0
	for _, r := range rules {
		for _, e := range r.Exprs {
			if v, ok := e.(*expr.Verdict); ok && v.Chain == target {
				n++
			}
		}
	}
	return n
}

// get GETs url with a short timeout and returns the trimmed body.
func get(url string) (string, error) { return getWithin(url, 3*time.Second) }

// getWithin is get with timeout.
func getWithin(url string, timeout time.Duration) (string, error) {
	c := &http.Client{Timeout: timeout, Transport: &http.Transport{DisableKeepAlives: true}}
	resp, err := c.Get(url)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return strings.TrimSpace(string(b)), err
}
