// Package operator is a small operator built with controller-runtime, the
// way operators for Kubernetes are built, and the suite that runs it
// against a real `minik8s all`: it installs its CustomResourceDefinition,
// reconciles each Widget into a Deployment, writes the Widget's status
// through the /status subresource, and runs as leader-elected replicas
// with a Lease. It is a module of its own, as e2e/clientgo is, so that the
// main module does not depend on k8s.io/* or sigs.k8s.io/* modules.
package operator
