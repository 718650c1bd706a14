// Package endpoints holds the Endpoints and EndpointSlice controllers: for
// every Service with a selector they publish the pods it selects, as
// Kubernetes' EndpointsController and EndpointSliceController do.
//
// Contract (both controllers):
//
//   - They are keyed by Service. A Service is looked at again whenever it
//     changes, a pod it selects (or selected) comes, goes or changes IP,
//     readiness, deletion state, node or hostname, or what they wrote
//     changes; every resync looks at all again (level-triggered). A sync
//     reads all the Service's pods, so while its last sync was slow the
//     changes of pods and of what they wrote are batched
//     (controllerutil.AddBatched): a Service over 10,000 starting pods is
//     synced a few times a second, not once per pod.
//   - A pod is an endpoint once it has an IP and until it has finished. Its
//     conditions: serving = its Ready condition; terminating = it is being
//     deleted; ready = serving and not terminating (or the Service's
//     publishNotReadyAddresses). A named targetPort is resolved per pod
//     from its containers' ports (name and protocol); a pod without that
//     port is left out of that port.
//   - Services without a selector are left alone: their Endpoints and
//     EndpointSlices are written by hand. When a Service goes, the
//     Endpoints of its name and the slices this controller manages for it
//     are deleted.
//   - Endpoints: one object named after the Service, addresses grouped in
//     subsets by the ports they serve; not-ready ones in
//     notReadyAddresses. Terminating pods are left out (unless
//     publishNotReadyAddresses). Written only when it differs. As in
//     Kubernetes, at most 1,000 addresses (api.MaxEndpointsAddresses):
//     ready ones first, shared among subsets in proportion, and the
//     object annotated endpoints.kubernetes.io/over-capacity=truncated
//     until they fit again.
//   - EndpointSlices: labelled kubernetes.io/service-name and
//     endpointslice.kubernetes.io/managed-by=endpointslice-controller.k8s.io,
//     owned by the Service; one family per address type and per set of
//     resolved ports; at most MaxEndpointsPerSlice endpoints each. An
//     endpoint stays in the slice it is in while it lasts (updated in
//     place), new ones fill free room before new slices are made, and
//     slices left empty are deleted; a Service with no endpoints keeps one
//     empty placeholder slice. Nothing is written when nothing changed.
//   - A sync whose cache does not show the controller's own last writes
//     yet is deferred: it would create duplicate slices, or update
//     Endpoints from an old version and lose with a 409.
//   - A write that loses a race (409) or fails is retried with backoff
//     from a fresh cache.
package endpoints
