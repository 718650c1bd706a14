package apiserver_test

import (
	"net/http"
	"testing"

	"github.com/minik8s/minik8s/internal/testenv"
)

// TestInvalidPathSegments sends names and namespaces no object can have
// (NUL, invalid UTF-8) on SQLite and on Postgres, which cannot store them
// and failed the query (500, with the SQL error). Kubernetes answers as
// for an object or namespace that does not exist.
func TestInvalidPathSegments(t *testing.T) {
	t.Parallel()
	for _, store := range []string{"sqlite", "postgres"} {
		t.Run(store, func(t *testing.T) {
			opt := testenv.Options{}
			if store == "postgres" {
				opt.Store = testenv.Postgres(t)
			}
			s := testenv.StartAPIServer(t, opt)
			for _, bad := range []string{"%00", "a%00b", "%ff", "%c3%28"} {
				tests := []struct {
					method, path string
					body         any
					code         int
					reason       string
				}{
					{"GET", "/api/v1/namespaces/default/pods/" + bad, nil, 404, "NotFound"},
					{"PUT", "/api/v1/namespaces/default/pods/" + bad, podJSON, 404, "NotFound"},
					{"PATCH", "/api/v1/namespaces/default/pods/" + bad, `{}`, 404, "NotFound"},
					{"DELETE", "/api/v1/namespaces/default/pods/" + bad, nil, 404, "NotFound"},
					{"GET", "/api/v1/namespaces/default/pods/" + bad + "/status", nil, 404, "NotFound"},
					{"GET", "/api/v1/namespaces/" + bad, nil, 404, "NotFound"},
					{"GET", "/api/v1/nodes/" + bad, nil, 404, "NotFound"},
					{"GET", "/api/v1/namespaces/" + bad + "/pods/web", nil, 404, "NotFound"},
					{"POST", "/api/v1/namespaces/" + bad + "/pods", podJSON, 404, "NotFound"},
					{"GET", "/api/v1/namespaces/" + bad + "/pods", nil, 200, ""},
					{"GET", "/api/v1/namespaces/" + bad + "/pods?watch=1&timeoutSeconds=1", nil, 200, ""},
					{"DELETE", "/api/v1/namespaces/" + bad + "/pods", nil, 200, ""},
				}
				for _, tt := range tests {
					ctype := "application/json"
					if tt.method == "PATCH" {
						ctype = "application/merge-patch+json"
					}
					r := s.Do(t, tt.method, tt.path, tt.body, "Content-Type", ctype)
					if tt.reason == "" {
						if r.Code != tt.code {
							t.Errorf("%s %s: %d %s, want %d", tt.method, tt.path, r.Code, r.Body, tt.code)
						}
						continue
					}
					var st status
					r.JSON(t, &st)
					if r.Code != tt.code || st.Reason != tt.reason {
						t.Errorf("%s %s: %d %s, want %d %s", tt.method, tt.path, r.Code, r.Body, tt.code, tt.reason)
					}
				}
			}
			// The list is the empty list of a namespace without pods.
			var list struct {
				Kind  string
				Items []any
			}
			r := s.Do(t, "GET", "/api/v1/namespaces/%00/pods", nil)
			r.JSON(t, &list)
			if list.Kind != "PodList" || len(list.Items) != 0 || r.Code != http.StatusOK {
				t.Errorf("list: %s", r.Body)
			}
		})
	}
}
