// Package testsvc tells tests where the real services are: Postgres, Redis
// and Docker, which make test (and so CI) starts and names in environment
// variables.
//
// A test that needs a service and does not find its variable fails; it
// never skips, so a broken setup cannot pass as a green run with tests
// left out. The one exception is `go test -short` (make unit), a quick run
// without services: there such a test skips, saying which variable would
// run it. A variable that is set is always used, -short or not.
//
// Slow marks tests that need no service but take long (the real kubectl
// against a built binary, several processes, soak-like runs): -short skips
// them too, and make test runs them.
package testsvc

import (
	"os"
	"testing"
)

// The variables make test sets.
const (
	Postgres = "MINIK8S_TEST_POSTGRES" // a postgres:// URL of a database tests may create databases and schemas beside
	Redis    = "MINIK8S_TEST_REDIS"    // a redis:// URL
	Docker   = "MINIK8S_TEST_DOCKER"   // any non-empty value: the local Docker engine is there to use
)

// Require returns the value of the variable name. When it is unset, t
// fails, or, under -short, skips.
func Require(t testing.TB, name string) string {
	t.Helper()
	v := os.Getenv(name)
	if v != "" {
		return v
	}
	if testing.Short() {
		t.Skipf("%s is not set: skipped under -short (make unit); make test runs it against the real service", name)
		return ""
	}
	t.Fatalf("%s is not set: this test needs the real service; run it through make test, "+
		"which starts Postgres, Redis and Docker and sets the variables (see the Makefile), "+
		"or go test -short (make unit) to skip it", name)
	return ""
}

// Slow skips t under -short, saying why it is slow; make test runs it.
func Slow(t testing.TB, why string) {
	t.Helper()
	if testing.Short() {
		t.Skipf("slow (%s): skipped under -short (make unit); make test runs it", why)
	}
}
