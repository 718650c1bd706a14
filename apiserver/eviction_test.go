package apiserver_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/minik8s/minik8s/api"
	"github.com/minik8s/minik8s/internal/testenv"
)

// TestEviction checks pods/eviction as Kubernetes answers it: a budget
// that allows no disruption is a 429 with the DisruptionBudget cause; one
// that allows it is decremented, records the pod in disruptedPods, and
// the pod is deleted gracefully with the Eviction's deleteOptions; a pod
// that does not run ignores budgets; a dry run changes nothing.
func TestEviction(t *testing.T) {
	t.Parallel()
	s := testenv.StartAPIServer(t, testenv.Options{})
	const pods = "/api/v1/namespaces/default/pods"
	const pdbs = "/apis/policy/v1/namespaces/default/poddisruptionbudgets"
	do := func(method, path string, body any, want int) *testenv.Response {
		t.Helper()
		r := s.Do(t, method, path, body)
		if r.Code != want {
			t.Fatalf("%s %s: %d %s, want %d", method, path, r.Code, r.Body, want)
		}
		return r
	}
	evict := func(name, extra string) string {
		return `{"apiVersion":"policy/v1","kind":"Eviction","metadata":{"name":"` + name + `","namespace":"default"}` + extra + `}`
	}
	pod := func(name string, running bool) {
		t.Helper()
		do(http.MethodPost, pods, `{"apiVersion":"v1","kind":"Pod","metadata":{"name":"`+name+`","labels":{"app":"web"}},
			"spec":{"nodeName":"n1","containers":[{"name":"c","image":"nginx"}]}}`, http.StatusCreated)
		if !running {
			return
		}
		var p api.Pod
		do(http.MethodGet, pods+"/"+name, nil, http.StatusOK).JSON(t, &p)
		p.Status.Phase = api.PodRunning
		p.Status.Conditions = []api.PodCondition{{Type: api.PodReady, Status: api.ConditionTrue}}
		do(http.MethodPut, pods+"/"+name+"/status", p, http.StatusOK)
	}
	setBudget := func(allowed int32) {
		t.Helper()
		var b api.PodDisruptionBudget
		do(http.MethodGet, pdbs+"/web", nil, http.StatusOK).JSON(t, &b)
		b.Status = api.PodDisruptionBudgetStatus{ObservedGeneration: b.Generation, DisruptionsAllowed: allowed,
			CurrentHealthy: 2, DesiredHealthy: 2 - allowed, ExpectedPods: 2}
		do(http.MethodPut, pdbs+"/web/status", b, http.StatusOK)
	}
	do(http.MethodPost, "/api/v1/nodes", `{"apiVersion":"v1","kind":"Node","metadata":{"name":"n1"}}`, http.StatusCreated)
	pod("a", true)
	pod("b", true)
	pod("pending", false)
	do(http.MethodPost, pdbs, `{"apiVersion":"policy/v1","kind":"PodDisruptionBudget","metadata":{"name":"web"},
		"spec":{"minAvailable":2,"selector":{"matchLabels":{"app":"web"}}}}`, http.StatusCreated)

	// Not yet processed by the disruption controller (observedGeneration
	// 0 < generation 1): retry later.
	var st api.Status
	do(http.MethodPost, pods+"/a/eviction", evict("a", ""), http.StatusTooManyRequests).JSON(t, &st)
	if st.Details == nil || len(st.Details.Causes) != 1 || st.Details.Causes[0].Message != "The disruption budget web is still being processed by the server." {
		t.Errorf("unprocessed budget: %+v", st)
	}

	setBudget(0)
	r := do(http.MethodPost, pods+"/a/eviction", evict("a", ""), http.StatusTooManyRequests)
	r.JSON(t, &st)
	if st.Reason != api.StatusReasonTooManyRequests || st.Message != "Cannot evict pod as it would violate the pod's disruption budget." ||
		len(st.Details.Causes) != 1 || st.Details.Causes[0].Type != "DisruptionBudget" ||
		st.Details.Causes[0].Message != "The disruption budget web needs 2 healthy pods and has 2 currently" {
		t.Errorf("budget at its minimum: %s", r.Body)
	}
	do(http.MethodGet, pods+"/a", nil, http.StatusOK)

	// A pod that does not run is evicted whatever the budget.
	do(http.MethodPost, pods+"/pending/eviction", evict("pending", ""), http.StatusCreated)
	var pending api.Pod
	if do(http.MethodGet, pods+"/pending", nil, http.StatusOK).JSON(t, &pending); pending.DeletionTimestamp == nil {
		t.Error("evicted pending pod not being deleted")
	}

	r = do(http.MethodPost, pods+"/a/eviction", evict("b", ""), http.StatusBadRequest)
	if !strings.Contains(string(r.Body), "name in URL does not match name in Eviction object") {
		t.Errorf("name mismatch: %s", r.Body)
	}

	setBudget(1)
	do(http.MethodPost, pods+"/a/eviction?dryRun=All", evict("a", ""), http.StatusCreated)
	var b api.PodDisruptionBudget
	do(http.MethodGet, pdbs+"/web", nil, http.StatusOK).JSON(t, &b)
	if b.Status.DisruptionsAllowed != 1 || len(b.Status.DisruptedPods) != 0 {
		t.Fatalf("a dry run changed the budget: %+v", b.Status)
	}
	do(http.MethodGet, pods+"/a", nil, http.StatusOK)

	do(http.MethodPost, pods+"/a/eviction", evict("a", `,"deleteOptions":{"gracePeriodSeconds":7}`), http.StatusCreated)
	do(http.MethodGet, pdbs+"/web", nil, http.StatusOK).JSON(t, &b)
	if _, ok := b.Status.DisruptedPods["a"]; b.Status.DisruptionsAllowed != 0 || !ok || len(b.Status.Conditions) != 1 ||
		b.Status.Conditions[0].Reason != api.InsufficientPodsReason {
		t.Errorf("budget after an eviction: %+v", b.Status)
	}
	var a api.Pod
	do(http.MethodGet, pods+"/a", nil, http.StatusOK).JSON(t, &a)
	if a.DeletionTimestamp == nil || a.DeletionGracePeriodSeconds == nil || *a.DeletionGracePeriodSeconds != 7 {
		t.Errorf("evicted pod: deletionTimestamp %v, grace %v; want marked with 7 s", a.DeletionTimestamp, a.DeletionGracePeriodSeconds)
	}
	// The budget is used up: b stays.
	do(http.MethodPost, pods+"/b/eviction", evict("b", ""), http.StatusTooManyRequests)
	do(http.MethodPost, pods+"/gone/eviction", evict("gone", ""), http.StatusNotFound)
}
