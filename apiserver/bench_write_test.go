package apiserver_test

import (
	"fmt"
	"io"
	"net/http"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/minik8s/minik8s/apiserver"
	"github.com/minik8s/minik8s/apiserver/authn"
	"github.com/minik8s/minik8s/app"
	"github.com/minik8s/minik8s/internal/testenv"
)

// BenchmarkPodWrites measures the API server's write path for the writes
// a pod's life is made of, one request at a time through HTTPS, against
// an in-process server on SQLite (its CPU and allocations count here):
// the create, the scheduler's binding, the kubelet's status merge patch,
// and a PUT of the whole pod. Run with -benchmem.
func BenchmarkPodWrites(b *testing.B) {
	s := testenv.StartAPIServer(b, testenv.Options{})
	const pods = "/api/v1/namespaces/default/pods"
	create := func(b *testing.B, name string) {
		body := fmt.Sprintf(`{"apiVersion":"v1","kind":"Pod","metadata":{"name":%q,"labels":{"app":"web"}},`+
			`"spec":{"serviceAccountName":"default","automountServiceAccountToken":false,"containers":[{"name":"c","image":"nginx:1.27","resources":{"requests":{"cpu":"100m","memory":"64Mi"}}}]}}`, name)
		if r := s.Do(b, "POST", pods, body); r.Code != http.StatusCreated {
			b.Fatalf("create %s: %d %s", name, r.Code, r.Body)
		}
	}
	b.Run("create", func(b *testing.B) {
		b.ReportAllocs()
		i := 0
		for b.Loop() {
			create(b, fmt.Sprintf("create-%d", i))
			i++
		}
	})
	b.Run("bind", func(b *testing.B) {
		b.StopTimer()
		names := make([]string, b.N)
		for i := range names {
			names[i] = fmt.Sprintf("bind-%d-%d", b.N, i)
			create(b, names[i])
		}
		b.ReportAllocs()
		b.StartTimer()
		for i := range b.N {
			body := fmt.Sprintf(`{"apiVersion":"v1","kind":"Binding","metadata":{"name":%q},"target":{"kind":"Node","name":"n1"}}`, names[i])
			if r := s.Do(b, "POST", pods+"/"+names[i]+"/binding", body); r.Code != http.StatusCreated {
				b.Fatalf("bind: %d %s", r.Code, r.Body)
			}
		}
	})
	create(b, "status")
	b.Run("status-merge-patch", func(b *testing.B) {
		b.ReportAllocs()
		i := 0
		for b.Loop() {
			body := fmt.Sprintf(`{"status":{"phase":"Running","podIP":"10.0.0.%d","conditions":[{"type":"Ready","status":"True"}],`+
				`"containerStatuses":[{"name":"c","ready":true,"restartCount":%d,"image":"nginx:1.27","imageID":"sim://nginx","state":{"running":{"startedAt":"2026-01-01T00:00:00Z"}}}]}}`, i%250, i)
			if r := s.Do(b, "PATCH", pods+"/status/status", body, "Content-Type", "application/merge-patch+json"); r.Code != http.StatusOK {
				b.Fatalf("patch: %d %s", r.Code, r.Body)
			}
			i++
		}
	})
	create(b, "update")
	b.Run("update", func(b *testing.B) {
		b.ReportAllocs()
		i := 0
		for b.Loop() {
			body := fmt.Sprintf(`{"apiVersion":"v1","kind":"Pod","metadata":{"name":"update","labels":{"app":"web","n":"%d"}},`+
				`"spec":{"serviceAccountName":"default","automountServiceAccountToken":false,"containers":[{"name":"c","image":"nginx:1.27","resources":{"requests":{"cpu":"100m","memory":"64Mi"}}}]}}`, i)
			if r := s.Do(b, "PUT", pods+"/update", body); r.Code != http.StatusOK {
				b.Fatalf("update: %d %s", r.Code, r.Body)
			}
			i++
		}
	})
}

// BenchmarkCreateAuthorized compares pod creates by a user RBAC decides
// (edit in its namespace, among 1,000 Roles and 1,000 RoleBindings of
// others) with the same user when authorization is off (AlwaysAllow), and
// with the admin (system:masters, which skips RBAC). The difference is
// what authorization costs a request.
func BenchmarkCreateAuthorized(b *testing.B) {
	for _, c := range []struct {
		name string
		mode string
		user string
	}{
		{"rbac-user", apiserver.AuthorizationNodeRBAC, "bench"},
		{"always-allow", apiserver.AuthorizationAlwaysAllow, "bench"},
		{"admin", apiserver.AuthorizationNodeRBAC, ""},
	} {
		b.Run(c.name, func(b *testing.B) {
			s := testenv.StartAPIServer(b, testenv.Options{Configure: func(cfg *app.Config) { cfg.APIServer.AuthorizationMode = c.mode }})
			var extra []string
			if c.user != "" {
				tok, err := authn.EnsureUser(filepath.Join(s.DataDir, "tokens.csv"), c.user, nil)
				if err != nil {
					b.Fatal(err)
				}
				extra = []string{"Authorization", "Bearer " + tok}
				for i := range 1000 {
					role := fmt.Sprintf(`{"apiVersion":"rbac.authorization.k8s.io/v1","kind":"Role","metadata":{"name":"r%d"},"rules":[{"apiGroups":[""],"resources":["configmaps"],"verbs":["get"]}]}`, i)
					binding := fmt.Sprintf(`{"apiVersion":"rbac.authorization.k8s.io/v1","kind":"RoleBinding","metadata":{"name":"b%d"},"roleRef":{"apiGroup":"rbac.authorization.k8s.io","kind":"Role","name":"r%d"},"subjects":[{"apiGroup":"rbac.authorization.k8s.io","kind":"User","name":"u%d"}]}`, i, i, i)
					for _, w := range [][2]string{{"roles", role}, {"rolebindings", binding}} {
						if r := s.Do(b, "POST", "/apis/rbac.authorization.k8s.io/v1/namespaces/default/"+w[0], w[1]); r.Code != http.StatusCreated {
							b.Fatalf("create %s: %d %s", w[0], r.Code, r.Body)
						}
					}
				}
				edit := `{"apiVersion":"rbac.authorization.k8s.io/v1","kind":"RoleBinding","metadata":{"name":"bench-edit"},"roleRef":{"apiGroup":"rbac.authorization.k8s.io","kind":"ClusterRole","name":"edit"},"subjects":[{"apiGroup":"rbac.authorization.k8s.io","kind":"User","name":"bench"}]}`
				if r := s.Do(b, "POST", "/apis/rbac.authorization.k8s.io/v1/namespaces/default/rolebindings", edit); r.Code != http.StatusCreated {
					b.Fatalf("bind edit: %d %s", r.Code, r.Body)
				}
			}
			b.ReportAllocs()
			i := 0
			for b.Loop() {
				body := fmt.Sprintf(`{"apiVersion":"v1","kind":"Pod","metadata":{"name":"p-%d"},"spec":{"containers":[{"name":"c","image":"x"}]}}`, i)
				// The binding may take a moment to reach the authorizer.
				for try := 0; ; try++ {
					r := s.Do(b, "POST", "/api/v1/namespaces/default/pods", body, extra...)
					if r.Code == http.StatusCreated {
						break
					}
					if r.Code != http.StatusForbidden || try > 100 {
						b.Fatalf("create: %d %s", r.Code, r.Body)
					}
					time.Sleep(10 * time.Millisecond)
				}
				i++
			}
		})
	}
}

// BenchmarkWatchFanout measures what a pod write costs the API server
// when 200 watches select pods by node (spec.nodeName=node-i, as one
// kubelet per node watches): each create reaches every watch, which must
// decide whether the pod is its node's. Compare the CPU per op of builds.
func BenchmarkWatchFanout(b *testing.B) {
	s := testenv.StartAPIServer(b, testenv.Options{})
	const pods = "/api/v1/namespaces/default/pods"
	const watchers = 200
	for i := range watchers {
		req, _ := http.NewRequest("GET", s.URL+pods+"?watch=true&fieldSelector=spec.nodeName%3Dnode-"+strconv.Itoa(i), nil)
		req.Header.Set("Authorization", "Bearer "+s.Token)
		resp, err := s.HTTP.Do(req)
		if err != nil || resp.StatusCode != http.StatusOK {
			b.Fatalf("watch %d: %v", i, err)
		}
		b.Cleanup(func() { resp.Body.Close() })
		go func() { _, _ = io.Copy(io.Discard, resp.Body) }()
	}
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		body := fmt.Sprintf(`{"apiVersion":"v1","kind":"Pod","metadata":{"name":"fan-%d","labels":{"app":"web"}},`+
			`"spec":{"nodeName":"node-%d","serviceAccountName":"default","automountServiceAccountToken":false,"containers":[{"name":"c","image":"nginx:1.27"}]}}`, i, i%watchers)
		if r := s.Do(b, "POST", pods, body); r.Code != http.StatusCreated {
			b.Fatalf("create: %d %s", r.Code, r.Body)
		}
		i++
	}
}
