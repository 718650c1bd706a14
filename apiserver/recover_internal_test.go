package apiserver

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/labstack/echo/v4"
	"github.com/rs/zerolog"

	"github.com/minik8s/minik8s/api"
)

// A handler that panics answers 500 with a Status, logs the panic with its
// stack, and the server goes on serving.
func TestRecoverPanics(t *testing.T) {
	t.Parallel()
	var logs bytes.Buffer
	s := &Server{log: zerolog.New(&logs)}
	e := echo.New()
	e.HTTPErrorHandler = s.httpError
	e.Use(s.recoverPanics())
	e.GET("/boom", func(echo.Context) error { panic("boom") })
	e.GET("/ok", func(c echo.Context) error { return c.String(http.StatusOK, "ok") })

	rec := httptest.NewRecorder()
	e.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/boom", nil))
	var st api.Status
	if err := json.Unmarshal(rec.Body.Bytes(), &st); err != nil {
		t.Fatalf("body %q: %v", rec.Body.String(), err)
	}
	if rec.Code != http.StatusInternalServerError || st.Kind != "Status" || st.Code != 500 ||
		st.Reason != api.StatusReasonInternalError || !strings.Contains(st.Message, "panic") {
		t.Errorf("panic answered %d %+v", rec.Code, st)
	}
	if l := logs.String(); !strings.Contains(l, `"error":"boom"`) || !strings.Contains(l, "recover_internal_test.go") {
		t.Errorf("log lacks the panic or its stack: %s", l)
	}

	rec = httptest.NewRecorder()
	e.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/ok", nil))
	if rec.Code != http.StatusOK {
		t.Errorf("after the panic: %d %s", rec.Code, rec.Body)
	}
}
