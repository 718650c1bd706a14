package apiserver

import (
	"fmt"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/labstack/echo/v4"
)

func TestAddWarning(t *testing.T) {
	t.Parallel()
	c := echo.New().NewContext(httptest.NewRequest("GET", "/", nil), httptest.NewRecorder())
	addWarning(c, `unknown field "a\b"`)
	addWarning(c, `unknown field "a\b"`) // a retried write finds it again
	if got := c.Response().Header().Values("Warning"); len(got) != 1 || got[0] != `299 - "unknown field \"a\\b\""` {
		t.Fatalf("Warning = %q", got)
	}
	for i := range 10000 {
		addWarning(c, fmt.Sprintf("unknown field %q", fmt.Sprint("f", i)))
	}
	if n := len(strings.Join(c.Response().Header().Values("Warning"), "")); n > maxWarningBytes {
		t.Fatalf("%d bytes of warnings", n)
	}
}
