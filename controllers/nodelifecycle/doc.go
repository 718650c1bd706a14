// Package nodelifecycle is the node lifecycle controller: it watches node
// heartbeats, marks silent nodes, taints nodes by their state, and evicts
// pods from nodes they no longer tolerate (Kubernetes' taint manager).
//
// Contract:
//
//   - A node's heartbeat is the later of its Lease's renewTime (in
//     kube-node-lease) and its Ready condition's lastHeartbeatTime. Only a
//     change of heartbeat counts, timed by the controller's own clock, so a
//     node whose clock disagrees is judged fairly; a node first seen gets a
//     full grace period.
//   - A node with no new heartbeat for longer than GracePeriod gets its
//     Ready, MemoryPressure, DiskPressure and PIDPressure conditions set to
//     Unknown (reason NodeStatusUnknown, "Kubelet stopped posting node
//     status.", or NodeStatusNeverUpdated for a condition never posted) and
//     a NodeNotReady event. The Ready condition of its pods is set to False
//     (a NodeNotReady event each) while the node is not ready.
//   - Taints follow the Ready condition: node.kubernetes.io/unreachable
//     (NoSchedule and NoExecute) while it is Unknown,
//     node.kubernetes.io/not-ready (NoSchedule and NoExecute) while it is
//     False, neither when it is True; node.kubernetes.io/unschedulable
//     (NoSchedule) while the node is cordoned. NoExecute taints get
//     timeAdded. Other taints are never touched. A node that comes back
//     (posts Ready True) is untainted.
//   - A bound pod on a node with a NoExecute taint it does not tolerate is
//     deleted at once; one that tolerates it for tolerationSeconds is
//     deleted that long after the taint's timeAdded (the API server gives
//     every pod 300s for not-ready and unreachable); a toleration without
//     tolerationSeconds keeps the pod. Each eviction is a delete with the
//     pod's grace period, conditional on its uid, and a
//     TaintManagerEviction event. A node that recovers before then keeps
//     its pods.
//   - Writes are conditional on the resourceVersion read; a conflict is
//     retried against a fresh cache. Every node is checked every
//     MonitorPeriod and whenever it or its lease changes.
package nodelifecycle
