// Package api holds the Kubernetes object types minik8s serves and its
// components use: a hand-written subset of core/v1, apps/v1 and
// coordination.k8s.io/v1 with the same JSON field names, so that kubectl and
// client-go read them unchanged. The API server itself stores objects as
// JSON and keeps fields these types do not know; the types are the schema for
// validation and OpenAPI, and the model for the control loops.
package api
