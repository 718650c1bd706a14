// Package e2e is minik8s's end-to-end suite: the real kubectl
// (/usr/bin/kubectl, or the first kubectl on $PATH) against the minik8s
// binary run as a user runs it. It has no code outside its tests.
//
// TestMain builds the binary once (CGO_ENABLED=0) unless MINIK8S_BIN names
// one, and exports MINIK8S_BIN so every test of the package uses it. Each
// group of tests starts its own `minik8s all` subprocess on a free port
// with a temporary data dir and stops it at the end, printing the tail of
// its stderr when the test failed. Every case asserts on kubectl's output
// or exit code:
//
//   - the newcomer's path: the banner, "cluster ready in", and the printed
//     next commands pasted as they are;
//   - the stock nginx Deployment of the Kubernetes docs, labels,
//     annotations, field and label selectors, wait, jsonpath, delete -f;
//   - Deployments: create, scale, set image, rollout status, history, undo
//     and restart, describe with events, get events, cordon, drain, and
//     cascading deletion of a Deployment and of a namespace;
//   - pods on simulated nodes: -o wide, logs, logs -f, and the kubelet's
//     events (Pulled, Created, Started, Killing, BackOff);
//   - the API basics: namespaces, apply create then configure, columns,
//     -o yaml, an invalid name refused, watch events, delete --wait,
//     explain;
//   - Ctrl-C stops every component in order with exit 0, and a second
//     start on the same data dir resumes the cluster;
//   - bad input (a port in use, an unreachable Postgres or Redis, a bad
//     config value) ends with one line saying what to do and exit 1;
//   - the Docker runtime, when MINIK8S_TEST_DOCKER is set, with an image
//     the test builds; the containers are removed at the end.
//
// ha_test.go runs the HA recipe (hack/ha.sh) with kubectl in the same way,
// and kubeletkill_test.go a kubelet process that dies.
package e2e
