// Package helm is the suite that drives a real `minik8s all` with Helm 4's
// Go SDK (helm.sh/helm/v4), as `helm install --wait`, `helm upgrade`,
// `helm rollback`, `helm history`, `helm status`, `helm get manifest`,
// `helm install --dry-run=server` and `helm uninstall --wait` do: on the
// chart `helm create` makes (created at test time) and on testdata/crdhooks,
// a chart with a CustomResourceDefinition in crds/ and hook Jobs.
//
// Each case runs twice: with client-side apply (Helm's three-way merge
// patches) and with server-side apply, Helm 4's default. The server-side
// subtests skip, saying why, only while the API server answers apply
// patches with 415 Unsupported Media Type.
//
// It is a module of its own, as e2e/clientgo is, so that the main module
// does not depend on Helm or k8s.io/* modules; the cluster is started by
// e2e/clientgo/cluster ($MINIK8S_BIN, or a build of the repo).
package helm
