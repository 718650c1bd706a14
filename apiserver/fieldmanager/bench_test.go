package fieldmanager

import (
	"encoding/json"
	"reflect"
	"syscall"
	"testing"
	"time"

	"github.com/minik8s/minik8s/api"
)

// deployment is a defaulted Deployment as stored.
const benchDeployment = `{"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"web","namespace":"default","labels":{"app":"web"}},
"spec":{"replicas":3,"selector":{"matchLabels":{"app":"web"}},"strategy":{"type":"RollingUpdate","rollingUpdate":{"maxSurge":"25%","maxUnavailable":"25%"}},
"revisionHistoryLimit":10,"progressDeadlineSeconds":600,
"template":{"metadata":{"labels":{"app":"web"}},"spec":{"containers":[{"name":"web","image":"nginx:1.27","imagePullPolicy":"IfNotPresent",
"ports":[{"containerPort":80,"protocol":"TCP"}],"resources":{"requests":{"cpu":"100m","memory":"64Mi"}},
"terminationMessagePath":"/dev/termination-log","terminationMessagePolicy":"File"}],"restartPolicy":"Always","dnsPolicy":"ClusterFirst",
"schedulerName":"default-scheduler","securityContext":{},"terminationGracePeriodSeconds":30}}}}`

// cpuTime is the process's user and system CPU time so far.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// loop runs f b.N times and reports CPU time per op besides wall time: on
// a shared machine the CPU time is the steadier figure.
func loop(b *testing.B, f func()) {
	b.ReportAllocs()
	start := cpuTime()
	for b.Loop() {
		f()
	}
	b.ReportMetric(float64(cpuTime()-start)/float64(b.N), "cpu-ns/op")
}

// BenchmarkManagedFields measures what managedFields add to a write of a
// Deployment: a create's Update entry, an update's, and a no-op apply.
func BenchmarkManagedFields(b *testing.B) {
	m := ForGo(reflect.TypeFor[api.Deployment](), "apps/v1", true)
	now := time.Now()
	tb := &testing.T{}
	b.Run("create", func(b *testing.B) {
		loop(b, func() {
			o := obj(tb, benchDeployment)
			if err := m.Update(nil, o, "bench", "", now); err != nil {
				b.Fatal(err)
			}
		})
	})
	created := obj(tb, benchDeployment)
	if err := m.Update(nil, created, "bench", "", now); err != nil {
		b.Fatal(err)
	}
	b.Run("update", func(b *testing.B) {
		loop(b, func() {
			next := copyObject(created)
			next["spec"].(map[string]any)["replicas"] = 4
			if err := m.Update(created, next, "other", "", now); err != nil {
				b.Fatal(err)
			}
		})
	})
	// A controller writing again the status fields it owns, as it does
	// at every sync: the stored object's entry is reused.
	withStatus := copyObject(created)
	withStatus["status"] = obj(tb, `{"replicas":3,"readyReplicas":1,"observedGeneration":1}`)
	if err := m.Update(created, withStatus, "controller", "status", now); err != nil {
		b.Fatal(err)
	}
	stored, err := json.Marshal(withStatus)
	if err != nil {
		b.Fatal(err)
	}
	b.Run("status-again", func(b *testing.B) {
		loop(b, func() {
			cur := obj(tb, string(stored))
			next := copyObject(cur)
			next["status"] = map[string]any{"replicas": 3, "readyReplicas": 2, "observedGeneration": 1}
			if err := m.Update(cur, next, "controller", "status", now); err != nil {
				b.Fatal(err)
			}
		})
	})
	// For scale: decoding the object alone, which every write does.
	b.Run("decode-only", func(b *testing.B) {
		loop(b, func() { obj(tb, benchDeployment) })
	})
	applied, err := m.Apply(Object{"apiVersion": "apps/v1", "kind": "Deployment", "metadata": map[string]any{"name": "web"}}, obj(tb, benchDeployment), "bench", "", false, now)
	if err != nil {
		b.Fatal(err)
	}
	b.Run("apply-noop", func(b *testing.B) {
		loop(b, func() {
			if _, err := m.Apply(applied, obj(tb, benchDeployment), "bench", "", false, now); err != nil {
				b.Fatal(err)
			}
		})
	})
}
