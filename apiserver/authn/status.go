package authn

import "github.com/labstack/echo/v4"

// status is the wire form of a Kubernetes failure Status (api.Status),
// kept local so that this package depends on nothing of the server's.
type status struct {
	Kind       string   `json:"kind"`
	APIVersion string   `json:"apiVersion"`
	Metadata   struct{} `json:"metadata"`
	Status     string   `json:"status"`
	Message    string   `json:"message"`
	Reason     string   `json:"reason"`
	Code       int      `json:"code"`
}

// writeStatus answers the request with a Failure Status and HTTP code code.
func writeStatus(c echo.Context, code int, reason, message string) error {
	return c.JSON(code, status{
		Kind: "Status", APIVersion: "v1", Status: "Failure",
		Message: message, Reason: reason, Code: code,
	})
}
