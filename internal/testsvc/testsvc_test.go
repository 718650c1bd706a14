package testsvc

import "testing"

// recorder is a testing.TB that records a Fatalf instead of stopping.
type recorder struct {
	testing.TB
	failed bool
}

func (r *recorder) Helper()               {}
func (r *recorder) Fatalf(string, ...any) { r.failed = true }

func TestRequire(t *testing.T) {
	t.Setenv("MINIK8S_TEST_X", "")
	r := &recorder{TB: t}
	Require(r, "MINIK8S_TEST_X")
	if !r.failed {
		t.Error("an unset variable did not fail the test")
	}
	t.Setenv("MINIK8S_TEST_X", "redis://h:1")
	r = &recorder{TB: t}
	if got := Require(r, "MINIK8S_TEST_X"); got != "redis://h:1" || r.failed {
		t.Errorf("Require = %q, failed %v", got, r.failed)
	}
}
