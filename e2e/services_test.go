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

	"github.com/minik8s/minik8s/app"
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
// cluster IP and by DNS name (headless and pod hostnames too); a Service
// without endpoints refusing connections; and the host left clean after
// Ctrl-C (no nftables table, no DNS listener), with a restart programming
// each rule once.
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
	seen := map[string]bool{}
	eventually(t, testTimeout, "node port "+nodePort+" answered by all 3 replicas", func() string {
		body, err := get(nodeURL)
		if err != nil {
			return err.Error()
		}
		if !want[body] {
			return fmt.Sprintf("answer %q is from none of %v", body, pods)
		}
		seen[body] = true
		if len(seen) < 3 {
			return fmt.Sprintf("only %d of 3 replicas answered so far", len(seen))
		}
		return ""
	})
	// The cluster IP from the host (through OUTPUT).
	if body, err := get("http://" + clusterIP + "/"); err != nil || !want[body] {
		t.Errorf("cluster IP %s from the host: %q, %v", clusterIP, body, err)
	}

	// From a pod: by cluster IP, by short, namespaced and full DNS names,
	// a headless Service and a pod's hostname in it.
	for _, u := range []string{"http://" + clusterIP + "/", "http://web/", "http://web.default/", "http://web.default.svc.cluster.local/"} {
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

	// No endpoints: refused, not hanging.
	c.kubectl("scale", "deployment", "web", "--replicas=0")
	eventually(t, testTimeout, "node port refusing once web has no endpoints", func() string {
		_, err := get(nodeURL)
		if !errors.Is(err, syscall.ECONNREFUSED) {
			return fmt.Sprintf("want connection refused, got %v", err)
		}
		return ""
	})
	c.kubectl("scale", "deployment", "web", "--replicas=3")
	c.waitRunning(3, "-l", "app=web")
	eventually(t, testTimeout, "node port answering again", func() string {
		if _, err := get(nodeURL); err != nil {
			return err.Error()
		}
		return ""
	})

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
func get(url string) (string, error) {
	c := &http.Client{Timeout: 3 * time.Second, Transport: &http.Transport{DisableKeepAlives: true}}
	resp, err := c.Get(url)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return strings.TrimSpace(string(b)), err
}
