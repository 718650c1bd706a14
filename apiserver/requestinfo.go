package apiserver

import (
	"github.com/labstack/echo/v4"

	"github.com/minik8s/minik8s/apiserver/reqinfo"
)

// requestInfo is what a Kubernetes API path and method say about a request,
// parsed once per request by reqinfo.Middleware.
type requestInfo = reqinfo.Info

// infoOf returns the request's parsed info; ok is false for a path that
// names no resource (discovery documents).
func infoOf(c echo.Context) (ri requestInfo, ok bool) {
	ri = reqinfo.Of(c.Request())
	return ri, ri.IsResourceRequest
}
