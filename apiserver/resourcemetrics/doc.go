// Package resourcemetrics is the API server's source of metrics.k8s.io:
// what metrics-server does in Kubernetes, in process and on demand.
//
// Contract:
//
//   - Collect asks the node agents of the nodes it is given for their
//     resource metrics (GET /metrics/resource over HTTPS, with the API
//     server's kubelet client identity; one request per agent address
//     for all of its nodes asked, ?node=… naming them), and turns the
//     cumulative CPU counters into usage rates the way metrics-server
//     does: the difference between two samples over the time between
//     them (the Window of NodeMetrics and PodMetrics).
//   - Nothing is scraped unless someone asks. A node's figures are kept
//     for Config.Resolution and served again as they are to whoever asks
//     within it. The sample behind them is kept longer: the next ask after
//     Resolution takes one new sample and rates it against the kept one,
//     if that is at most Config.MaxWindow old; otherwise (the first ask,
//     or after a long quiet time) it takes two samples Config.PairInterval
//     apart, so the first `kubectl top` waits about that long.
//   - A counter that went down (the container restarted, the node agent
//     restarted) is not a rate: that container, or node, is left out until
//     the next pair, as metrics-server leaves it out.
//   - A node whose agent does not answer is left out, and the error is
//     returned beside what could be collected.
//   - Collect is safe for concurrent use; refreshes are serialised, so
//     concurrent askers share one scrape.
package resourcemetrics
