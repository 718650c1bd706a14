// Package reqinfo decides once per request what a request to the API server
// is: its Kubernetes verb, group, version, namespace, resource, name and
// subresource, and whether it is long-running. It follows kube-apiserver's
// RequestInfoFactory and its query parameter conversion, so that every layer
// (limits, priority levels, serving, metrics, logs) agrees on it.
//
// Contract:
//   - Middleware parses the request once and stores the Info in the
//     request's context; Of returns that Info, or parses the request when no
//     middleware ran (tests of one layer alone).
//   - A boolean query parameter is true unless it is absent, "0" or "false"
//     in any case, as Kubernetes' Convert_Slice_string_To_bool: watch=t,
//     watch=True and watch= all mean a watch, everywhere.
//   - The watch parameter counts only on a collection, as in Kubernetes:
//     GET /api/v1/namespaces/ns/pods/p?watch=true is a get. The legacy
//     /api/v1/watch/… paths are watches, named or not.
//   - Long-running requests are watches, pod logs with follow, and the
//     streaming subresources exec, attach, portforward and proxy.
package reqinfo
