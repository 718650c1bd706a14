// Package controllers runs the controller manager's controllers — the
// ReplicaSet and Deployment controllers, the node lifecycle controller
// (with its taint-based eviction), the garbage collector, the namespace
// controller, the disruption controller, the service account controller
// (default accounts and kube-root-ca.crt), the resource quota controller
// and the Job and CronJob controllers — from one set of shared informers, as
// kube-controller-manager does.
//
// Contract:
//
//   - Manager.Run builds fresh informers (pods, replica sets, deployments,
//     nodes, node leases, namespaces, disruption budgets, service accounts,
//     kube-root-ca.crt ConfigMaps, resource quotas, jobs, cron jobs; each
//     created with
//     controllerutil.Indexers where a controller needs them, pods also by
//     node), an event recorder per controller (sources
//     replicaset-controller, deployment-controller, node-controller,
//     controllermanager for the disruption controller, job-controller,
//     cronjob-controller, as in Kubernetes) and
//     the controllers, then runs them all until ctx ends. Nothing survives
//     a Run: a replica that loses and regains leadership starts again from
//     a fresh cache, so it never acts on state from before another leader.
//   - Run returns nil on a clean stop, or the first error a component
//     fails with, after stopping the rest.
//   - Leader election is not the Manager's business: the caller wraps Run
//     (election.Elector.Run), so that all controllers of a replica lead or
//     stand by together under one lock.
package controllers
