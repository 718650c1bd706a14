package apiserver_test

import (
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/minik8s/minik8s/internal/testenv"
)

// TestPodPriorityAdmission checks the Priority admission plugin's rules:
// priority and preemptionPolicy from the named class, the global default
// class (its name too) or 0, and Kubernetes' refusals.
func TestPodPriorityAdmission(t *testing.T) {
	t.Parallel()
	s := testenv.StartAPIServer(t, testenv.Options{})
	const pods = "/api/v1/namespaces/default/pods"
	const classes = "/apis/scheduling.k8s.io/v1/priorityclasses"
	podJSON := func(name, extra string) string {
		return `{"apiVersion":"v1","kind":"Pod","metadata":{"name":"` + name + `"},"spec":{` + extra +
			`"containers":[{"name":"c","image":"nginx:1.27"}]}}`
	}
	create := func(name, extra string) obj {
		t.Helper()
		r := s.Do(t, "POST", pods, podJSON(name, extra))
		expect(t, r, http.StatusCreated)
		var o obj
		r.JSON(t, &o)
		return o
	}
	refused := func(name, extra, msg string) {
		t.Helper()
		r := s.Do(t, "POST", pods, podJSON(name, extra))
		expect(t, r, http.StatusForbidden)
		var st status
		r.JSON(t, &st)
		if st.Reason != "Forbidden" || st.Message != msg {
			t.Fatalf("status %+v, want Forbidden: %s", st, msg)
		}
	}
	check := func(o obj, class string, prio float64, policy string) {
		t.Helper()
		if o.Spec["priorityClassName"] != nil && o.Spec["priorityClassName"] != class || class != "" && o.Spec["priorityClassName"] != class ||
			o.Spec["priority"] != prio || o.Spec["preemptionPolicy"] != policy {
			t.Fatalf("spec: class %v, priority %v, policy %v; want %q, %v, %s",
				o.Spec["priorityClassName"], o.Spec["priority"], o.Spec["preemptionPolicy"], class, prio, policy)
		}
	}

	check(create("none", ""), "", 0, "PreemptLowerPriority")
	check(create("critical", `"priorityClassName":"system-node-critical",`), "system-node-critical", 2000001000, "PreemptLowerPriority")
	refused("unknown", `"priorityClassName":"nope",`, `pods "unknown" is forbidden: no PriorityClass with name nope was found`)

	expect(t, s.Do(t, "POST", classes, `{"apiVersion":"scheduling.k8s.io/v1","kind":"PriorityClass","metadata":{"name":"batch"},"value":10,"preemptionPolicy":"Never"}`), http.StatusCreated)
	batch := create("batch", `"priorityClassName":"batch",`)
	check(batch, "batch", 10, "Never")
	// A write that leaves priority and preemptionPolicy out keeps them.
	delete(batch.Spec, "priority")
	delete(batch.Spec, "preemptionPolicy")
	r := s.Do(t, "PUT", pods+"/batch", batch)
	expect(t, r, http.StatusOK)
	var replaced obj
	r.JSON(t, &replaced)
	check(replaced, "batch", 10, "Never")
	refused("batch-2", `"priorityClassName":"batch","priority":11,`,
		`pods "batch-2" is forbidden: the integer value of priority (11) must not be provided in pod spec; priority admission controller computed 10 from the given PriorityClass name`)
	refused("batch-3", `"priorityClassName":"batch","preemptionPolicy":"PreemptLowerPriority",`,
		`pods "batch-3" is forbidden: the string value of PreemptionPolicy (PreemptLowerPriority) must not be provided in pod spec; priority admission controller computed Never from the given PriorityClass name`)
	check(create("batch-4", `"priorityClassName":"batch","priority":10,"preemptionPolicy":"Never",`), "batch", 10, "Never")

	expect(t, s.Do(t, "POST", classes, `{"apiVersion":"scheduling.k8s.io/v1","kind":"PriorityClass","metadata":{"name":"normal"},"value":100,"globalDefault":true}`), http.StatusCreated)
	// Admission reads a watch-fed cache of the classes (as Kubernetes' reads
	// an informer's), which may lag the create by a moment.
	var o obj
	for i := 0; ; i++ {
		if o = create(fmt.Sprintf("defaulted-%d", i), ""); o.Spec["priority"] == float64(100) || i == 500 {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	check(o, "normal", 100, "PreemptLowerPriority")
}
