// Package runtimetest is the conformance suite every kubelet/runtime.Runtime
// passes (as litestream's RunWithReplicaClient is for its replica clients),
// and builds testapp, the program the suite's containers run.
//
// Run checks, on one runtime: a started container runs with the sandbox's
// IP; exit codes and reasons; stop with SIGTERM, and SIGKILL after the
// grace period; logs with tail, since, timestamps, follow and previous;
// restart attempts keeping only the latest and previous instances; a new
// Runtime over the same engine (a restarted kubelet) finding the pods;
// RemovePod; image and run errors.
//
// Each pod the suite makes says what its container should do twice: as
// arguments of testapp (see ./testapp), which a real runtime runs, and as
// kubelet/sim annotations, which the simulated runtime reads. So one
// scenario drives both.
package runtimetest
