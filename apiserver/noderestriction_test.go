package apiserver_test

import (
	"encoding/json"
	"net/http"
	"path/filepath"
	"testing"
	"time"

	"github.com/minik8s/minik8s/api"
	"github.com/minik8s/minik8s/apiserver/authn"
	"github.com/minik8s/minik8s/internal/testenv"
)

// nodeFixture: nodes a and b; pod pa on a uses Secret sa-secret and
// ConfigMap sa-config, pod pb on b uses Secret sb-secret; a Secret nobody
// uses; each node's Lease.
const nodeFixture = `
apiVersion: v1
kind: Node
metadata: {name: a}
---
apiVersion: v1
kind: Node
metadata: {name: b}
---
apiVersion: v1
kind: Secret
metadata: {name: sa-secret}
stringData: {k: v}
---
apiVersion: v1
kind: Secret
metadata: {name: sb-secret}
stringData: {k: v}
---
apiVersion: v1
kind: Secret
metadata: {name: unused}
stringData: {k: v}
---
apiVersion: v1
kind: ConfigMap
metadata: {name: sa-config}
data: {k: v}
---
apiVersion: v1
kind: Pod
metadata: {name: pa}
spec:
  nodeName: a
  volumes: [{name: s, secret: {secretName: sa-secret}}]
  containers:
  - name: c
    image: x
    env: [{name: K, valueFrom: {configMapKeyRef: {name: sa-config, key: k}}}]
---
apiVersion: v1
kind: Pod
metadata: {name: pb}
spec:
  nodeName: b
  volumes: [{name: s, secret: {secretName: sb-secret}}]
  containers: [{name: c, image: x}]
---
apiVersion: coordination.k8s.io/v1
kind: Lease
metadata: {name: b, namespace: kube-node-lease}
spec: {holderIdentity: b}
`

// startAsNodeA starts an API server holding nodeFixture and returns it
// with the header that authenticates as node a.
func startAsNodeA(t *testing.T) (*testenv.APIServer, []string) {
	t.Helper()
	s := testenv.StartAPIServer(t, testenv.Options{})
	apply(t, s, nodeFixture)
	tok, err := authn.EnsureUser(filepath.Join(s.DataDir, "tokens.csv"), authn.NodeUser("a"), []string{authn.NodesGroup})
	if err != nil {
		t.Fatal(err)
	}
	return s, []string{"Authorization", "Bearer " + tok}
}

// TestNodeRestriction: node a's credential reads and writes what is a's
// (its Node, Lease, pods and the objects they use) and nothing of b's.
func TestNodeRestriction(t *testing.T) {
	t.Parallel()
	s, asA := startAsNodeA(t)
	do := func(method, path string, body any, extra ...string) *testenv.Response {
		t.Helper()
		return s.Do(t, method, path, body, append(append([]string{}, asA...), extra...)...)
	}
	merge := []string{"Content-Type", "application/merge-patch+json"}
	const ns = "/api/v1/namespaces/default"

	// What is a's.
	expect(t, do("GET", ns+"/secrets/sa-secret", nil), http.StatusOK)
	expect(t, do("GET", ns+"/configmaps/sa-config", nil), http.StatusOK)
	expect(t, do("GET", ns+"/pods/pa", nil), http.StatusOK)
	expect(t, do("GET", "/api/v1/pods?fieldSelector=spec.nodeName%3Da", nil), http.StatusOK)
	expect(t, do("PATCH", "/api/v1/nodes/a/status", `{"status":{"phase":"Running"}}`, merge...), http.StatusOK)
	expect(t, do("PATCH", "/api/v1/nodes/a", `{"metadata":{"labels":{"example.com/disk":"ssd","node.kubernetes.io/instance-type":"sim"}}}`, merge...), http.StatusOK)
	expect(t, do("PATCH", ns+"/pods/pa/status", `{"status":{"phase":"Running"}}`, merge...), http.StatusOK)
	expect(t, do("POST", "/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases",
		`{"apiVersion":"coordination.k8s.io/v1","kind":"Lease","metadata":{"name":"a"},"spec":{"holderIdentity":"a"}}`), http.StatusCreated)
	expect(t, do("GET", "/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases/a", nil), http.StatusOK)
	expect(t, do("POST", ns+"/events", `{"apiVersion":"v1","kind":"Event","metadata":{"name":"e"},"involvedObject":{"kind":"Node","name":"a"},"reason":"R","message":"m"}`), http.StatusCreated)

	// What is b's, or nobody's.
	for _, c := range []struct {
		name         string
		method, path string
		body         any
		want         string
	}{
		{"b's secret", "GET", ns + "/secrets/sb-secret", nil,
			`secrets "sb-secret" is forbidden: User "system:node:a" cannot get resource "secrets" in API group "" in the namespace "default": no relationship found between node 'a' and this object`},
		{"an unused secret", "GET", ns + "/secrets/unused", nil,
			`secrets "unused" is forbidden: User "system:node:a" cannot get resource "secrets" in API group "" in the namespace "default": no relationship found between node 'a' and this object`},
		{"a list of secrets", "GET", ns + "/secrets", nil,
			`secrets is forbidden: User "system:node:a" cannot list resource "secrets" in API group "" in the namespace "default": can only get individual resources of this type`},
		{"b's pod", "GET", ns + "/pods/pb", nil,
			`pods "pb" is forbidden: User "system:node:a" cannot get resource "pods" in API group "" in the namespace "default": no relationship found between node 'a' and this object`},
		{"b's pod's status", "PATCH", ns + "/pods/pb/status", `{"status":{"phase":"Failed"}}`,
			`pods "pb" is forbidden: node "a" can only update pod status for pods with spec.nodeName set to itself`},
		{"b's pod deleted", "DELETE", ns + "/pods/pb", nil,
			`pods "pb" is forbidden: node "a" can only delete pods with spec.nodeName set to itself`},
		{"node b", "PATCH", "/api/v1/nodes/b", `{"metadata":{"labels":{"x":"y"}}}`,
			`nodes "b" is forbidden: node "a" is not allowed to modify node "b"`},
		{"node b's status", "PATCH", "/api/v1/nodes/b/status", `{"status":{"phase":"Running"}}`,
			`nodes "b" is forbidden: node "a" is not allowed to modify node "b"`},
		{"node b deleted", "DELETE", "/api/v1/nodes/b", nil,
			`nodes "b" is forbidden: node "a" is not allowed to modify node "b"`},
		{"b's lease", "PUT", "/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases/b",
			`{"apiVersion":"coordination.k8s.io/v1","kind":"Lease","metadata":{"name":"b","namespace":"kube-node-lease"},"spec":{"holderIdentity":"a"}}`,
			`leases.coordination.k8s.io "b" is forbidden: User "system:node:a" cannot update resource "leases" in API group "coordination.k8s.io" in the namespace "kube-node-lease": can only access node lease with the same name as the requesting node`},
		{"a lease named b", "POST", "/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases",
			`{"apiVersion":"coordination.k8s.io/v1","kind":"Lease","metadata":{"name":"c"},"spec":{"holderIdentity":"a"}}`,
			`leases.coordination.k8s.io "c" is forbidden: node "a" is not allowed to modify lease "c"`},
		{"a protected label", "PATCH", "/api/v1/nodes/a", `{"metadata":{"labels":{"node-role.kubernetes.io/control-plane":""}}}`,
			`nodes "a" is forbidden: node "a" is not allowed to modify labels: node-role.kubernetes.io/control-plane`},
		{"a node-restriction label", "PATCH", "/api/v1/nodes/a", `{"metadata":{"labels":{"node-restriction.kubernetes.io/trusted":"yes"}}}`,
			`nodes "a" is forbidden: node "a" is not allowed to modify labels: node-restriction.kubernetes.io/trusted`},
		{"a node named b", "POST", "/api/v1/nodes", `{"apiVersion":"v1","kind":"Node","metadata":{"name":"c"}}`,
			`nodes "c" is forbidden: node "a" is not allowed to modify node "c"`},
		{"a pod", "POST", ns + "/pods", `{"apiVersion":"v1","kind":"Pod","metadata":{"name":"p"},"spec":{"nodeName":"a","containers":[{"name":"c","image":"x"}]}}`,
			`pods "p" is forbidden: pod does not have "kubernetes.io/config.mirror" annotation, node "a" can only create mirror pods`},
		{"a deployment", "GET", "/apis/apps/v1/namespaces/default/deployments", nil,
			`deployments.apps is forbidden: User "system:node:a" cannot list resource "deployments" in API group "apps" in the namespace "default"`},
	} {
		t.Run(c.name, func(t *testing.T) {
			var extra []string
			if c.method == "PATCH" {
				extra = merge
			}
			wantStatus(t, do(c.method, c.path, c.body, extra...), http.StatusForbidden, c.want)
		})
	}

	// Once pb moves to a (a new pod bound to a), a may read its secret:
	// the graph follows the pods.
	expect(t, s.Do(t, "DELETE", ns+"/pods/pb?gracePeriodSeconds=0", nil), http.StatusOK)
	apply(t, s, `
apiVersion: v1
kind: Pod
metadata: {name: pb2}
spec:
  nodeName: a
  volumes: [{name: s, secret: {secretName: sb-secret}}]
  containers: [{name: c, image: x}]
`)
	// The graph hears of pb2 through the watch: poll until it has.
	deadline := time.Now().Add(10 * time.Second)
	for r := do("GET", ns+"/secrets/sb-secret", nil); r.Code != http.StatusOK; r = do("GET", ns+"/secrets/sb-secret", nil) {
		if time.Now().After(deadline) {
			t.Fatalf("a's pod pb2 uses sb-secret, yet a may not read it: %d %s", r.Code, r.Body)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestNodeRestrictionEviction: a node may evict the pods bound to it, and
// not another node's (NodeRestriction, with Kubernetes' message).
func TestNodeRestrictionEviction(t *testing.T) {
	t.Parallel()
	s, asA := startAsNodeA(t)
	const ns = "/api/v1/namespaces/default"
	evict := func(pod string) *testenv.Response {
		t.Helper()
		return s.Do(t, "POST", ns+"/pods/"+pod+"/eviction",
			`{"apiVersion":"policy/v1","kind":"Eviction","metadata":{"name":"`+pod+`","namespace":"default"}}`, asA...)
	}
	deleting := func(pod string) bool {
		t.Helper()
		r := s.Do(t, "GET", ns+"/pods/"+pod, nil)
		if r.Code == http.StatusNotFound {
			return true
		}
		expect(t, r, http.StatusOK)
		var p api.Pod
		if err := json.Unmarshal(r.Body, &p); err != nil {
			t.Fatal(err)
		}
		return p.DeletionTimestamp != nil
	}

	wantStatus(t, evict("pb"), http.StatusForbidden,
		`pods "pb" is forbidden: node "a" can only evict pods with spec.nodeName set to itself`)
	if deleting("pb") {
		t.Fatal("node a's refused eviction deleted b's pod pb")
	}
	expect(t, evict("pa"), http.StatusCreated)
	if !deleting("pa") {
		t.Fatal("node a evicted its pod pa, yet pa is neither gone nor being deleted")
	}
}
