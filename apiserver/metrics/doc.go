// Package metrics exposes the API server's Prometheus metrics on a
// registry the caller supplies, and serves them at GET /metrics.
//
// Series (names follow kube-apiserver's where one exists):
//
//	apiserver_request_total{verb,resource,code}         counter
//	apiserver_request_duration_seconds{verb,resource}   histogram, 1 ms to 10 s
//	apiserver_longrunning_requests{verb,resource}       gauge: watches and followed logs open now
//	apiserver_registered_watchers                       gauge, from RegisterWatchers' func
//	minik8s_store_revision                              gauge, from RegisterStoreRevision's func
//	minik8s_store_batches_total{path}                   counters, from RegisterStoreBatches' funcs
//
// Contract of Metrics.Middleware:
//   - Every request is counted once in apiserver_request_total, with the HTTP
//     status code it was answered with, including requests that a handler
//     answered by returning an error (the middleware hands such an error to
//     echo's HTTPErrorHandler itself, so the code is known).
//   - A long-running request (verb "watch", or a "…/log" resource with
//     follow=true) is counted when its response header is written, that is
//     when the stream starts, not when it ends; it is held in
//     apiserver_longrunning_requests while it runs and is never observed in
//     the duration histogram.
//   - Every other request's time from entering the middleware to the
//     handler's return is observed in apiserver_request_duration_seconds.
//
// Install the middleware with e.Use (not e.Pre: the classifier needs the
// route) and outermost, before authentication and limits, so that rejected
// requests are counted too. All functions are safe for
// concurrent use.
package metrics
