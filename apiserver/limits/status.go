package limits

import "github.com/labstack/echo/v4"

// status is the wire form of a Kubernetes failure Status (api.Status),
// kept local so that this package depends on nothing of the server's.
type status struct {
	Kind       string         `json:"kind"`
	APIVersion string         `json:"apiVersion"`
	Metadata   struct{}       `json:"metadata"`
	Status     string         `json:"status"`
	Message    string         `json:"message"`
	Reason     string         `json:"reason"`
	Details    *statusDetails `json:"details,omitempty"`
	Code       int            `json:"code"`
}

type statusDetails struct {
	RetryAfterSeconds int `json:"retryAfterSeconds,omitempty"`
}

// writeStatus answers the request with a Failure Status and HTTP code code;
// a positive retryAfter goes into details.retryAfterSeconds.
func writeStatus(c echo.Context, code int, reason, message string, retryAfter int) error {
	st := status{
		Kind: "Status", APIVersion: "v1", Status: "Failure",
		Message: message, Reason: reason, Code: code,
	}
	if retryAfter > 0 {
		st.Details = &statusDetails{RetryAfterSeconds: retryAfter}
	}
	return c.JSON(code, st)
}
