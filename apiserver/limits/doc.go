// Package limits protects the API server from overload: priority levels
// that keep the control plane's own traffic apart from people's, a token
// bucket per user, caps on requests in flight, and a cap on request bodies.
// Every rejection is a Kubernetes Status body and is counted in
// apiserver_rejected_requests_total{reason}.
//
// Contract of Limiter.Middleware, in the order the checks run:
//  1. A request whose Content-Length exceeds MaxBodyBytes gets 413, reason
//     RequestEntityTooLarge, before anything else is spent on it.
//  2. Classify gives the request a priority level (as API Priority and
//     Fairness: exempt probes, leader-election, node-high, system,
//     workload-high for the components' identities, global-default for
//     everyone else), stored in its context (LevelFrom) and named in the
//     X-Kubernetes-PF-PriorityLevel-UID and -FlowSchema-UID headers. The
//     apiserver_flowcontrol_* series count each level's requests.
//  3. For global-default only, each user (authn.UserFrom; an anonymous
//     request is keyed by its client IP) has a token bucket of QPS and
//     Burst. A request that finds it empty gets 429, reason TooManyRequests, with a Retry-After header
//     and details.retryAfterSeconds saying when a token will be there.
//     Long-running requests take a token to start, like any other.
//  4. The body of a request that is not long-running is read and buffered
//     (up to MaxBodyBytes: 413 beyond) within BodyTimeout of this point, on
//     the connection's read deadline (408 Timeout beyond it, and the
//     connection is closed), before the request takes an in-flight slot: a
//     client sending its body slowly holds no slot.
//  5. A control-plane level's requests run on its own seats
//     (PriorityLevels), waiting up to QueueWait for one (then 429); no
//     other level's load can take them. Exempt requests are not capped.
//     Of global-default, at most MaxInFlight read-only and
//     MaxMutatingInFlight mutating (POST, PUT, PATCH, DELETE) requests run
//     at once, as kube-apiserver's --max-requests-inflight and
//     --max-mutating-requests-inflight. One over
//     the cap gets 429 with Retry-After: 1 at once; nothing queues.
//     Long-running requests (see LongRunning) are not counted: a watch may
//     stay open for hours.
//
// Per user, minik8s_user_dispatched_requests_total, _rejected_requests_total
// (429s by reason) and minik8s_user_executing_requests (seats held) count
// the same requests (users.go); their user label names the first
// MaxUserLabels users seen and "other" for the rest, so it stays bounded.
//
// The handler gets a body fully buffered, with ContentLength set, so it
// never sees a short read.
//
// A zero QPS, MaxInFlight, MaxMutatingInFlight, MaxBodyBytes, BodyTimeout
// or level seat count turns that check off. The middleware must run after authn's, so that it sees the user.
// A Limiter is safe for concurrent use; idle buckets are evicted as new
// requests arrive, so memory stays proportional to the recently active users.
package limits
