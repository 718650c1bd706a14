// Package audit writes the API server's audit log: one JSON line per
// event, in Kubernetes' audit.k8s.io/v1 Event shape, at the level a policy
// file (Kubernetes' Policy format, a subset) gives each request.
//
// Contract:
//   - Off unless a log path is given. A policy's first matching rule sets
//     the level (None, Metadata, Request, RequestResponse); no rule
//     matching is None. Without a policy file every request is logged at
//     Metadata.
//   - Stages: RequestReceived when the request arrives, ResponseStarted
//     when a watch (or another long-running request) starts its response,
//     ResponseComplete when the handler returns; a stage in the policy's
//     omitStages (or its rule's) is not written. The events of one request
//     share an auditID, also sent to the client as the Audit-Id header.
//   - Request level adds the request body (requestObject, when it is JSON),
//     RequestResponse the response body too (responseObject, not for long
//     running requests); bodies larger than MaxBodyBytes are left out.
//   - Logging never blocks a request: events go through a bounded buffer
//     to one writer goroutine; when the buffer is full the event is dropped
//     and minik8s_audit_events_dropped_total counts it.
//   - Requests refused by authentication (401) are not audited: the policy
//     matches on the user, which they do not have.
//
// Logger is safe for concurrent use.
package audit
