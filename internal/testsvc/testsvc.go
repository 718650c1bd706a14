// Package testsvc tells tests where the real services are: Postgres, Redis
// and Docker, which make test (and so CI) starts and names in environment
// variables. A test that needs one and does not find it fails; it never
// skips, so a broken setup cannot pass as a green run with tests left out.
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

// Require returns the value of the variable name, failing t if it is unset.
func Require(t testing.TB, name string) string {
	t.Helper()
	v := os.Getenv(name)
	if v == "" {
		t.Fatalf("%s is not set: this test needs the real service; run it through make test, "+
			"which starts Postgres, Redis and Docker and sets the variables (see the Makefile)", name)
	}
	return v
}
