package apiserver_test

import (
	"net/http"
	"testing"

	"github.com/minik8s/minik8s/internal/testenv"
)

// TestPodQOSClass checks that a new pod's status.qosClass is computed from
// its requests and limits (limits default requests) and that neither the
// client's create nor a /status write can change it.
func TestPodQOSClass(t *testing.T) {
	t.Parallel()
	s := testenv.StartAPIServer(t, testenv.Options{})
	const pods = "/api/v1/namespaces/default/pods"
	for _, tc := range []struct {
		name, resources, init, want string
	}{
		{"besteffort", `{}`, "", "BestEffort"},
		{"burstable", `{"requests":{"cpu":"100m"}}`, "", "Burstable"},
		{"guaranteed", `{"limits":{"cpu":"1","memory":"1Gi"}}`, "", "Guaranteed"},
		{"unequal", `{"limits":{"cpu":"1","memory":"1Gi"},"requests":{"cpu":"500m"}}`, "", "Burstable"},
		{"init-burstable", `{"limits":{"cpu":"1","memory":"1Gi"}}`, `{"requests":{"memory":"1Mi"}}`, "Burstable"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			init := ""
			if tc.init != "" {
				init = `"initContainers":[{"name":"i","image":"busybox:1","resources":` + tc.init + `}],`
			}
			body := `{"apiVersion":"v1","kind":"Pod","metadata":{"name":"` + tc.name + `"},
				"spec":{` + init + `"containers":[{"name":"c","image":"nginx:1.27","resources":` + tc.resources + `}]},
				"status":{"qosClass":"Sent","phase":"Running"}}`
			r := s.Do(t, "POST", pods, body)
			expect(t, r, http.StatusCreated)
			var created obj
			r.JSON(t, &created)
			if created.Status["qosClass"] != tc.want || created.Status["phase"] != "Pending" {
				t.Fatalf("created status %v, want qosClass %s, phase Pending", created.Status, tc.want)
			}
			// The kubelet's status writes cannot change the class.
			created.Status = map[string]any{"phase": "Running", "qosClass": "BestEffort"}
			r = s.Do(t, "PUT", pods+"/"+tc.name+"/status", created)
			expect(t, r, http.StatusOK)
			var got obj
			r.JSON(t, &got)
			if got.Status["qosClass"] != tc.want || got.Status["phase"] != "Running" {
				t.Fatalf("after a status write: %v, want qosClass %s, phase Running", got.Status, tc.want)
			}
		})
	}
}
