package apiserver_test

import (
	"encoding/json"
	"net/http"
	"testing"

	"github.com/minik8s/minik8s/api"
	"github.com/minik8s/minik8s/internal/testenv"
)

// TestResourceQuotaRequestsCPU: a pod whose cpu request would take a
// namespace over its quota's requests.cpu is refused with Kubernetes'
// message, naming only the resource it exceeds; one that fits exactly is
// admitted and charged. The quota's status is written as the quota
// controller would (no controller runs here).
func TestResourceQuotaRequestsCPU(t *testing.T) {
	t.Parallel()
	s := testenv.StartAPIServer(t, testenv.Options{})
	const ns = "/api/v1/namespaces/default"
	expect(t, s.Do(t, "POST", ns+"/resourcequotas",
		`{"apiVersion":"v1","kind":"ResourceQuota","metadata":{"name":"q"},"spec":{"hard":{"pods":"10","requests.cpu":"1"}}}`), http.StatusCreated)
	expect(t, s.Do(t, "PATCH", ns+"/resourcequotas/q/status",
		`{"status":{"hard":{"pods":"10","requests.cpu":"1"},"used":{"pods":"2","requests.cpu":"400m"}}}`,
		"Content-Type", "application/merge-patch+json"), http.StatusOK)
	pod := func(name, cpu string) string {
		return `{"apiVersion":"v1","kind":"Pod","metadata":{"name":"` + name + `"},"spec":{"containers":[` +
			`{"name":"c","image":"x","resources":{"requests":{"cpu":"` + cpu + `"}}}]}}`
	}

	wantStatus(t, s.Do(t, "POST", ns+"/pods", pod("big", "700m")), http.StatusForbidden,
		`pods "big" is forbidden: exceeded quota: q, requested: requests.cpu=700m, used: requests.cpu=400m, limited: requests.cpu=1`)
	expect(t, s.Do(t, "POST", ns+"/pods", pod("fits", "600m")), http.StatusCreated)
	r := s.Do(t, "GET", ns+"/resourcequotas/q", nil)
	expect(t, r, http.StatusOK)
	var q api.ResourceQuota
	if err := json.Unmarshal(r.Body, &q); err != nil {
		t.Fatal(err)
	}
	cpu, pods := q.Status.Used["requests.cpu"], q.Status.Used["pods"]
	if cpu.String() != "1" || pods.String() != "3" {
		t.Fatalf("used after a 600m pod = requests.cpu %s, pods %s; want 1 and 3", cpu.String(), pods.String())
	}
	wantStatus(t, s.Do(t, "POST", ns+"/pods", pod("one-more", "1m")), http.StatusForbidden,
		`pods "one-more" is forbidden: exceeded quota: q, requested: requests.cpu=1m, used: requests.cpu=1, limited: requests.cpu=1`)
}
