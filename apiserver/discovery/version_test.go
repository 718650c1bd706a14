package discovery

import (
	"regexp"
	"testing"
)

// TestGitVersionIsARelease checks that /version's gitVersion is a release
// in semver's terms, vMAJOR.MINOR.PATCH with build metadata at most, and
// agrees with major and minor. A pre-release tag ("-minik8s") sorts before
// the release, and semver ranges without a pre-release of their own
// exclude it: Helm 4 then refused charts with `kubeVersion: ">=1.23.0"`
// ("incompatible with Kubernetes v1.32.0-minik8s"), as it does on
// distributions that report one.
func TestGitVersionIsARelease(t *testing.T) {
	re := regexp.MustCompile(`^v(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)(\+[0-9A-Za-z-]+(\.[0-9A-Za-z-]+)*)?$`)
	m := re.FindStringSubmatch(GitVersion)
	if m == nil {
		t.Fatalf("gitVersion %q is not vMAJOR.MINOR.PATCH[+BUILD]", GitVersion)
	}
	if m[1] != Major || m[2] != Minor {
		t.Errorf("gitVersion %q, major %q, minor %q: they disagree", GitVersion, Major, Minor)
	}
}
