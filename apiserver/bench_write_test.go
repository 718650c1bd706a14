package apiserver_test

import (
	"fmt"
	"net/http"
	"testing"

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
