// Package kubeproxy is the node agent's kube-proxy and cluster DNS: it
// makes Services carry traffic on the host the node agents run on.
//
// Contract:
//
//   - One Proxy per host and cluster, whatever the number of node agents in
//     the process (they share one host's network); the caller (app) makes
//     sure of it.
//   - A Proxy lists and watches Services and EndpointSlices with the
//     node's identity (the Node authorizer's rules let a node read both),
//     computes the state (BuildState: each Service port with its cluster
//     IP, node port and ready endpoints) and hands it whole to a Backend.
//     Changes are folded through a one-key work queue, so a burst of
//     EndpointSlice updates is one sync, usually within milliseconds of the
//     watch event; a failed sync is retried with back-off, and the state is
//     re-programmed every SyncPeriod even when nothing changed.
//   - Backends: kubeproxy/nft (nftables rules in a table of minik8s's own,
//     as kube-proxy's nftables mode; cluster IPs and node ports) and
//     Userspace (listeners on node ports only, where nftables cannot be
//     programmed). Sync with the same state changes nothing; Cleanup removes
//     everything the backend added. Run calls Cleanup when ctx ends, so a
//     clean stop leaves the host as it was, and a restart reconciles.
//   - DNS, when given, is served on the host address pods reach (the
//     Docker bridge's gateway) and, with nftables, reached by pods at a
//     virtual address the Proxy programs like a Service port (see DNS).
//
// A Proxy is safe for concurrent use; Run may be called once.
package kubeproxy
