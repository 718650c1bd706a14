package apiserver

import (
	"strings"

	"github.com/labstack/echo/v4"
)

// maxWarningBytes bounds the Warning headers of one response, so that an
// object with thousands of unknown fields cannot make the headers huge;
// warnings past it are dropped.
const maxWarningBytes = 4096

// addWarning adds a Warning header to the response, as Kubernetes does
// (`299 - "text"`, which kubectl prints as "Warning: text"). The same text
// is added once, however often a retried write finds it.
func addWarning(c echo.Context, text string) {
	var b strings.Builder
	b.WriteString(`299 - "`)
	for _, r := range text {
		if r == '"' || r == '\\' {
			b.WriteByte('\\')
		}
		b.WriteRune(r)
	}
	b.WriteByte('"')
	v := b.String()
	h := c.Response().Header()
	total := len(v)
	for _, w := range h.Values("Warning") {
		if w == v {
			return
		}
		total += len(w)
	}
	if total > maxWarningBytes {
		return
	}
	h.Add("Warning", v)
}
