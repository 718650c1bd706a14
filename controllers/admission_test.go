package controllers_test

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/rs/zerolog"

	"github.com/minik8s/minik8s/api"
	"github.com/minik8s/minik8s/client"
	"github.com/minik8s/minik8s/controllers"
	"github.com/minik8s/minik8s/internal/testenv"
	"github.com/minik8s/minik8s/internal/testsvc"
	"github.com/minik8s/minik8s/kubeconfig"
)

// startManager runs every controller against s, publishing the CA of its
// kubeconfig as kube-root-ca.crt, until the test ends.
func startManager(t *testing.T, s *testenv.APIServer) {
	t.Helper()
	c, err := client.FromKubeconfig(s.Kubeconfig, -1, 0)
	if err != nil {
		t.Fatal(err)
	}
	kc, err := kubeconfig.Load(s.Kubeconfig)
	if err != nil {
		t.Fatal(err)
	}
	r, err := kc.Resolve()
	if err != nil {
		t.Fatal(err)
	}
	m, err := controllers.NewManager(controllers.DefaultConfig(), c, "test", "localhost", zerolog.Nop())
	if err != nil {
		t.Fatal(err)
	}
	m.WithRootCA(r.Cluster.CertificateAuthorityData)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- m.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Run: %v", err)
		}
	})
}

// apply runs kubectl apply with a manifest.
func apply(t *testing.T, s *testenv.APIServer, manifest string) {
	t.Helper()
	file := filepath.Join(t.TempDir(), "m.yaml")
	if err := os.WriteFile(file, []byte(manifest), 0o600); err != nil {
		t.Fatal(err)
	}
	if out, err := s.Kubectl(t, "", "apply", "-f", file); err != nil {
		t.Fatalf("apply: %v %s", err, out)
	}
}

// TestServiceAccountsAndQuota: a new namespace gets its default service
// account and kube-root-ca.crt; its pods are admitted with a token volume;
// a quota's status follows the pods, and a pod over it is refused with
// Kubernetes' message, through the real kubectl.
func TestServiceAccountsAndQuota(t *testing.T) {
	testsvc.Slow(t, "the controllers, the API server and the real kubectl")
	s := testenv.StartAPIServer(t, testenv.Options{})
	startManager(t, s)
	kubectl := func(args ...string) (string, error) { return s.Kubectl(t, "", args...) }
	if out, err := kubectl("create", "namespace", "team"); err != nil {
		t.Fatal(err, out)
	}
	eventually(t, 10e9, "the default service account and kube-root-ca.crt", func() bool {
		_, e1 := kubectl("-n", "team", "get", "serviceaccount", "default")
		out, e2 := kubectl("-n", "team", "get", "configmap", "kube-root-ca.crt", "-o", "jsonpath={.data.ca\\.crt}")
		return e1 == nil && e2 == nil && strings.Contains(out, "BEGIN CERTIFICATE")
	})
	// Deleted, they come back.
	if out, err := kubectl("-n", "team", "delete", "configmap", "kube-root-ca.crt"); err != nil {
		t.Fatal(err, out)
	}
	eventually(t, 10e9, "kube-root-ca.crt again", func() bool {
		_, err := kubectl("-n", "team", "get", "configmap", "kube-root-ca.crt")
		return err == nil
	})

	apply(t, s, `apiVersion: v1
kind: ResourceQuota
metadata: {name: q, namespace: team}
spec:
  hard: {pods: "2", requests.cpu: "1", count/configmaps: "5"}
`)
	eventually(t, 10e9, "the quota's status", func() bool {
		out, err := kubectl("-n", "team", "get", "resourcequota", "q", "-o", "jsonpath={.status.used.pods}/{.status.hard.pods}/{.status.used.count/configmaps}")
		return err == nil && out == "0/2/1"
	})
	pod := func(name, cpu string) string {
		return `apiVersion: v1
kind: Pod
metadata: {name: ` + name + `, namespace: team}
spec:
  containers:
  - {name: c, image: x, resources: {requests: {cpu: "` + cpu + `"}}}
`
	}
	apply(t, s, pod("a", "200m"))
	apply(t, s, pod("b", "200m"))
	var a api.Pod
	out, err := kubectl("-n", "team", "get", "pod", "a", "-o", "json")
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal([]byte(out), &a); err != nil {
		t.Fatal(err)
	}
	if a.Spec.ServiceAccountName != "default" || len(a.Spec.Volumes) != 1 || a.Spec.Volumes[0].Projected == nil ||
		!strings.HasPrefix(a.Spec.Volumes[0].Name, "kube-api-access-") ||
		len(a.Spec.Containers[0].VolumeMounts) != 1 || a.Spec.Containers[0].VolumeMounts[0].MountPath != "/var/run/secrets/kubernetes.io/serviceaccount" {
		t.Fatalf("pod a as admitted: %+v", a.Spec)
	}
	out, err = kubectl("-n", "team", "get", "resourcequota", "q", "-o", "jsonpath={.status.used.pods} {.status.used.requests\\.cpu}")
	if err != nil || out != "2 400m" {
		t.Fatalf("quota used after two pods = %q %v, want 2 400m", out, err)
	}
	file := filepath.Join(t.TempDir(), "c.yaml")
	if err := os.WriteFile(file, []byte(pod("c", "100m")), 0o600); err != nil {
		t.Fatal(err)
	}
	out, err = kubectl("apply", "-f", file)
	want := `Error from server (Forbidden): error when creating "` + file + `": pods "c" is forbidden: exceeded quota: q, requested: pods=1, used: pods=2, limited: pods=2`
	if err == nil || !strings.Contains(out, want) {
		t.Fatalf("third pod: %v\n%s\nwant %s", err, out, want)
	}
	// A pod that states no cpu request cannot be charged against a cpu quota.
	out, err = kubectl("-n", "team", "run", "nocpu", "--image=x")
	if err == nil || !strings.Contains(out, `pods "nocpu" is forbidden: failed quota: q: must specify requests.cpu for: nocpu`) {
		t.Fatalf("pod without a cpu request: %v %s", err, out)
	}
	// Deleting a pod gives its share back.
	if out, err := kubectl("-n", "team", "delete", "pod", "a", "--wait=false"); err != nil {
		t.Fatal(err, out)
	}
	eventually(t, 10e9, "the quota to give back pod a", func() bool {
		out, err := kubectl("-n", "team", "get", "resourcequota", "q", "-o", "jsonpath={.status.used.pods}")
		return err == nil && out == "1"
	})
	apply(t, s, pod("c", "100m"))
	// A dry run is checked and charges nothing.
	out, err = kubectl("-n", "team", "run", "d", "--image=x", "--dry-run=server", "--overrides", `{"spec":{"containers":[{"name":"d","image":"x","resources":{"requests":{"cpu":"100m"}}}]}}`)
	if err == nil || !strings.Contains(out, "exceeded quota: q") {
		t.Fatalf("dry run over quota: %v %s", err, out)
	}
}

// TestLimitRanger: LimitRange defaults fill in what containers leave out,
// and min, max and the limit/request ratio refuse pods with Kubernetes'
// messages.
func TestLimitRanger(t *testing.T) {
	testsvc.Slow(t, "the API server and the real kubectl")
	s := testenv.StartAPIServer(t, testenv.Options{})
	apply(t, s, `apiVersion: v1
kind: LimitRange
metadata: {name: lr, namespace: default}
spec:
  limits:
  - type: Container
    default: {cpu: 500m, memory: 256Mi}
    defaultRequest: {cpu: 100m}
    max: {cpu: "1"}
    min: {cpu: 50m}
    maxLimitRequestRatio: {cpu: "10"}
`)
	if out, err := s.Kubectl(t, "", "run", "p", "--image=x"); err != nil {
		t.Fatal(err, out)
	}
	var p api.Pod
	out, err := s.Kubectl(t, "", "get", "pod", "p", "-o", "json")
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal([]byte(out), &p); err != nil {
		t.Fatal(err)
	}
	res := p.Spec.Containers[0].Resources
	cpuReq, cpuLim, memReq, memLim := res.Requests["cpu"], res.Limits["cpu"], res.Requests["memory"], res.Limits["memory"]
	if cpuReq.String() != "100m" || cpuLim.String() != "500m" || memReq.String() != "256Mi" || memLim.String() != "256Mi" {
		t.Fatalf("defaulted resources %+v", res)
	}
	if got := p.Annotations["kubernetes.io/limit-ranger"]; got != "LimitRanger plugin set: cpu, memory request for container p; cpu, memory limit for container p" {
		t.Errorf("annotation %q", got)
	}
	if p.Status.QOSClass != "Burstable" {
		t.Errorf("QoS class %q, want Burstable (computed after the defaults)", p.Status.QOSClass)
	}
	for _, tc := range []struct{ name, resources, want string }{
		{"over max", `{"limits":{"cpu":"2"}}`, `pods "over-max" is forbidden: maximum cpu usage per Container is 1, but limit is 2`},
		{"under min", `{"requests":{"cpu":"10m"},"limits":{"cpu":"20m"}}`, `pods "under-min" is forbidden: minimum cpu usage per Container is 50m, but request is 10m`},
		{"ratio", `{"requests":{"cpu":"50m"},"limits":{"cpu":"1"}}`, `pods "ratio" is forbidden: cpu max limit to request ratio per Container is 10, but provided ratio is 20.000000`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			name := strings.ReplaceAll(tc.name, " ", "-")
			out, err := s.Kubectl(t, "", "run", name, "--image=x", "--overrides",
				`{"spec":{"containers":[{"name":"`+name+`","image":"x","resources":`+tc.resources+`}]}}`)
			if err == nil || !strings.Contains(out, tc.want) {
				t.Fatalf("%v\n%s\nwant %s", err, out, tc.want)
			}
		})
	}
}
