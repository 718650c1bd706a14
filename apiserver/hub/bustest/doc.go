// Package bustest is the conformance suite that every hub.Bus
// implementation runs against a real instance of its medium (Run), and the
// commit-to-watcher latency benchmark they share (Latency).
package bustest
