// Package version holds minik8s's version and the Kubernetes API version
// it serves.
package version

// Version is minik8s's own version; set at build time with
// -ldflags "-X github.com/minik8s/minik8s/version.Version=...".
var Version = "v0.1.0-dev"

// KubernetesVersion is the Kubernetes API version minik8s speaks; /version
// reports it so that kubectl's version-skew check is quiet.
const KubernetesVersion = "v1.32.0"
