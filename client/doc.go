// Package client is the REST client every minik8s component uses to talk to
// the API server: typed, generic over the object kind, with client-go's
// behaviour where it matters.
//
//   - Paths and JSON are Kubernetes': c.Pods("ns").Get(ctx, "web-0") is
//     GET /api/v1/namespaces/ns/pods/web-0.
//   - Errors from the server are *StatusError values carrying the api.Status;
//     test them with IsNotFound, IsConflict, IsAlreadyExists, IsGone,
//     IsTooManyRequests, IsInvalid (which use errors.As, so wrapping is fine).
//   - Requests are rate limited on the client (token bucket, default 50 qps,
//     burst 100). A watch waits for a token to start, never while streaming.
//   - A 429 is retried after its Retry-After (plus jitter), up to
//     Config.MaxRetries times, for every verb: the server did not act on it.
//     A GET that finds the connection refused is retried with a short
//     backoff; other failures are returned at once.
//   - Watch decodes the newline-delimited event stream into a channel that
//     closes when the stream ends. An ERROR event (such as 410 for a
//     resourceVersion that is too old) arrives as an event whose Err is a
//     *StatusError, and is the last one.
//   - ListWatch adapts a resource client to the informer, with fixed label
//     and field selectors.
//   - RetryOnConflict re-runs a read-modify-write function on 409.
//
// A Client and its resource clients are safe for concurrent use.
package client
