// Package chaos is minik8s's chaos suite: it breaks real processes (the
// minik8s binary, a private Postgres and a private Redis, the real kubectl)
// while work is in flight, and checks that nothing acknowledged is lost,
// duplicated or reordered, that the cluster recovers, and that a hostile
// client cannot take the API server down. It has no code outside its tests.
//
// Contract:
//
//   - Every minik8s component runs as its own process of the binary under
//     test (bench's Env starts, restarts, kills, freezes and stops them);
//     the test process is the clients. Traffic stays on loopback, and every
//     case is bounded in count and in time.
//   - Services that are restarted or cut off are private to the case: a
//     Postgres cluster made with initdb in a temporary directory on a free
//     port, a redis-server on a free port. The shared services of
//     MINIK8S_TEST_POSTGRES and MINIK8S_TEST_REDIS are never stopped; a
//     case needing Postgres or Redis fails when its variable is unset,
//     as everywhere in make test.
//   - Each case reports one row (what ran; lost, duplicated, reordered;
//     time to recover; peak RSS; latencies; the verdict) as it ends, and
//     TestMain prints the whole table after the last case.
//   - Each case asserts the behaviour wanted, not the behaviour the code
//     had when the case was written: a loss of anything acknowledged fails,
//     and so does an attack that harms the server.
//   - make test runs the fast version of every case (about two minutes in
//     all); make chaos sets MINIK8S_CHAOS_LONG=1 for the long ones (a 15 s
//     Postgres outage, more writers, kills and objects, heavier load).
//     go test -short skips the package.
package chaos
