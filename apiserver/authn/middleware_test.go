package authn

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"testing"

	"github.com/labstack/echo/v4"
)

// newServer routes every path to a handler that reports the request's user,
// as seen through both UserFrom and the echo context.
func newServer(t *testing.T) *echo.Echo {
	t.Helper()
	toks, err := parse(strings.NewReader("good,alice,1001,\"dev,ops\"\n"))
	if err != nil {
		t.Fatal(err)
	}
	e := echo.New()
	e.Use(Middleware(toks, PublicPath))
	e.Any("/*", func(c echo.Context) error {
		u, ok := UserFrom(c.Request().Context())
		if ec, _ := c.Get(ContextKey).(User); !reflect.DeepEqual(ec, u) {
			t.Errorf("echo context user %+v != request context user %+v", ec, u)
		}
		if !ok {
			return c.String(http.StatusOK, "anonymous")
		}
		return c.String(http.StatusOK, u.Name+" "+strings.Join(u.Groups, ","))
	})
	return e
}

func TestMiddleware(t *testing.T) {
	e := newServer(t)
	tests := []struct {
		name, path, auth string
		wantCode         int
		wantBody         string
	}{
		{"valid token", "/api/v1/pods", "Bearer good", 200, "alice dev,ops,system:authenticated"},
		{"scheme is case-insensitive", "/api/v1/pods", "bearer good", 200, "alice dev,ops,system:authenticated"},
		{"valid token on public path", "/healthz", "Bearer good", 200, "alice dev,ops,system:authenticated"},
		{"no token", "/api/v1/pods", "", 401, ""},
		{"wrong token", "/api/v1/pods", "Bearer bad", 401, ""},
		{"token prefix", "/api/v1/pods", "Bearer goo", 401, ""},
		{"empty bearer", "/api/v1/pods", "Bearer ", 401, ""},
		{"basic auth", "/api/v1/pods", "Basic Z29vZDo=", 401, ""},
		{"two words", "/api/v1/pods", "Bearer good extra", 401, ""},
		{"public healthz", "/healthz", "", 200, "anonymous"},
		{"public livez", "/livez", "", 200, "anonymous"},
		{"public readyz", "/readyz", "", 200, "anonymous"},
		{"public version", "/version", "", 200, "anonymous"},
		{"openapi is not public", "/openapi/v2", "", 401, ""},
		{"issuer discovery", "/.well-known/openid-configuration", "", 200, "anonymous"},
		{"issuer keys", "/openid/v1/jwks", "", 200, "anonymous"},
		{"healthz subpath is not public", "/healthz/etcd", "", 401, ""},
		{"wrong token on public path", "/version", "Bearer bad", 401, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req := httptest.NewRequest(http.MethodGet, tt.path, nil)
			if tt.auth != "" {
				req.Header.Set("Authorization", tt.auth)
			}
			rec := httptest.NewRecorder()
			e.ServeHTTP(rec, req)
			if rec.Code != tt.wantCode {
				t.Fatalf("code = %d, want %d (body %s)", rec.Code, tt.wantCode, rec.Body)
			}
			if tt.wantCode == 200 {
				if rec.Body.String() != tt.wantBody {
					t.Errorf("body = %q, want %q", rec.Body, tt.wantBody)
				}
				return
			}
			var got map[string]any
			if err := json.Unmarshal(rec.Body.Bytes(), &got); err != nil {
				t.Fatalf("body %q is not JSON: %v", rec.Body, err)
			}
			want := map[string]any{
				"kind": "Status", "apiVersion": "v1", "metadata": map[string]any{},
				"status": "Failure", "message": "Unauthorized", "reason": "Unauthorized", "code": float64(401),
			}
			if !reflect.DeepEqual(got, want) {
				t.Errorf("body = %v, want %v", got, want)
			}
			if ct := rec.Header().Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
				t.Errorf("Content-Type = %q, want application/json", ct)
			}
		})
	}
}

func TestMiddlewareNilPublic(t *testing.T) {
	toks, _ := parse(strings.NewReader("good,alice,1\n"))
	e := echo.New()
	e.Use(Middleware(toks, nil))
	e.GET("/healthz", func(c echo.Context) error { return c.NoContent(http.StatusOK) })
	rec := httptest.NewRecorder()
	e.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/healthz", nil))
	if rec.Code != http.StatusUnauthorized {
		t.Fatalf("code = %d, want 401 when no path is public", rec.Code)
	}
}
