// Package testpoll is the tests' one polling helper: wait for a condition,
// failing the test when it does not come in time.
package testpoll

import (
	"testing"
	"time"
)

// maxInterval bounds the wait between two looks at a condition.
const maxInterval = 50 * time.Millisecond

// Eventually calls cond until it returns true, and fails t with what once
// timeout has passed. It looks again after 1 ms at first, doubling the
// wait up to 50 ms, so a condition that holds at once is seen at once and
// a slow one costs little CPU.
func Eventually(t testing.TB, timeout time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	wait := time.Millisecond
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %s waiting for %s", timeout, what)
		}
		time.Sleep(wait)
		wait = min(2*wait, maxInterval)
	}
}
