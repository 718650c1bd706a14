package apiserver_test

import (
	"fmt"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/minik8s/minik8s/api"
	"github.com/minik8s/minik8s/internal/testenv"
)

// ComponentStatus: the scheduler and controller manager are healthy while
// some replica holds their Lease, the store while it answers; get, list,
// field selectors, the deprecation warning and kubectl get cs.
func TestComponentStatuses(t *testing.T) {
	t.Parallel()
	s := testenv.StartAPIServer(t, testenv.Options{})
	const cs = "/api/v1/componentstatuses"
	const leases = "/apis/coordination.k8s.io/v1/namespaces/kube-system/leases"
	health := func() map[string]api.ComponentCondition {
		t.Helper()
		r := s.Do(t, "GET", cs, nil)
		expect(t, r, http.StatusOK)
		if w := r.Header.Get("Warning"); !strings.Contains(w, "v1 ComponentStatus is deprecated in v1.19+") {
			t.Fatalf("Warning header %q", w)
		}
		var list struct {
			Kind  string                `json:"kind"`
			Items []api.ComponentStatus `json:"items"`
		}
		r.JSON(t, &list)
		got := map[string]api.ComponentCondition{}
		for _, it := range list.Items {
			if len(it.Conditions) != 1 || it.Conditions[0].Type != api.ComponentHealthy {
				t.Fatalf("%s: conditions %+v", it.Name, it.Conditions)
			}
			got[it.Name] = it.Conditions[0]
		}
		if list.Kind != "ComponentStatusList" || len(got) != 3 {
			t.Fatalf("list %s of %v", list.Kind, got)
		}
		return got
	}
	want := func(got api.ComponentCondition, status api.ConditionStatus, text string) {
		t.Helper()
		if got.Status != status || !strings.Contains(got.Message+got.Error, text) {
			t.Fatalf("got %+v, want %s with %q", got, status, text)
		}
	}
	lease := func(name, holder string, renewed time.Time) {
		t.Helper()
		body := fmt.Sprintf(`{"metadata":{"name":%q},"spec":{"holderIdentity":%q,"leaseDurationSeconds":15,"renewTime":%q}}`,
			name, holder, renewed.UTC().Format("2006-01-02T15:04:05.000000Z"))
		if r := s.Do(t, "PUT", leases+"/"+name, body); r.Code == http.StatusNotFound {
			expect(t, s.Do(t, "POST", leases, body), http.StatusCreated)
		} else {
			expect(t, r, http.StatusOK)
		}
	}

	// No scheduler or controller manager runs beside this API server.
	h := health()
	want(h["scheduler"], api.ConditionFalse, "no Lease kube-system/kube-scheduler")
	want(h["controller-manager"], api.ConditionFalse, "no Lease kube-system/kube-controller-manager")
	want(h["store"], api.ConditionTrue, "ok")

	lease("kube-scheduler", "sched-a", time.Now())
	lease("kube-controller-manager", "cm-a", time.Now().Add(-time.Minute))
	h = health()
	want(h["scheduler"], api.ConditionTrue, "ok (leader sched-a)")
	want(h["controller-manager"], api.ConditionFalse, "held by cm-a, expired at")

	lease("kube-scheduler", "", time.Now()) // released, as a stopping leader does
	want(health()["scheduler"], api.ConditionFalse, "no leader: Lease kube-system/kube-scheduler was released")

	// Get, a field selector, and what is not there or not allowed.
	var one api.ComponentStatus
	r := s.Do(t, "GET", cs+"/store", nil)
	expect(t, r, http.StatusOK)
	r.JSON(t, &one)
	if one.Kind != "ComponentStatus" || one.Name != "store" {
		t.Fatalf("get store: %s", r.Body)
	}
	expect(t, s.Do(t, "GET", cs+"/etcd-0", nil), http.StatusNotFound)
	expect(t, s.Do(t, "POST", cs, `{"metadata":{"name":"x"}}`), http.StatusMethodNotAllowed)
	r = s.Do(t, "GET", cs+"?fieldSelector=metadata.name%3Dscheduler", nil)
	expect(t, r, http.StatusOK)
	if n := strings.Count(string(r.Body), `"kind":"ComponentStatus"`); n != 1 {
		t.Fatalf("field selector kept %d: %s", n, r.Body)
	}

	// kubectl get cs prints Kubernetes' columns, and the warning.
	out, err := s.Kubectl(t, "", "get", "cs")
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{
		`Warning: v1 ComponentStatus is deprecated in v1\.19\+`,
		`(?m)^NAME\s+STATUS\s+MESSAGE\s+ERROR$`,
		`(?m)^scheduler\s+Unhealthy\s+no leader: `,
		`(?m)^store\s+Healthy\s+ok\s*$`,
	} {
		if !regexp.MustCompile(p).MatchString(out) {
			t.Fatalf("kubectl get cs: no match for %q in:\n%s", p, out)
		}
	}
}
