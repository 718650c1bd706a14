// Package dashboard tests minik8s's web dashboard in a real headless
// Chromium (Debian's chromium package, driven with chromedp). It is a Go
// module of its own, so that the minik8s binary does not depend on
// chromedp.
//
// TestDashboard starts `minik8s all --runtime sim` (built from the
// enclosing module, or $MINIK8S_BIN) and checks, through the page: it
// loads with no console errors; a pod created with kubectl appears within
// a second; the scale button changes the Deployment; the wire shows the
// events of a `kubectl scale` in revision order; the conflict demo gets
// one 200 and one 409; stopping the scheduler's leader from the page
// shows the countdown and a new holder. TestRestart stops `minik8s
// apiserver --dashboard` under the page and starts it again: the page says
// it is reconnecting, then watches again with the session it had. TestGone
// keeps the page from watching while the change log is compacted past its
// revisions: it then gets 410 Gone, lists again and says so.
// TestLoad (only with MINIK8S_DASHBOARD_LOAD=1) measures the update
// latency at 1,000 pods on 100 simulated nodes. Screenshots go to
// $MINIK8S_SCREENSHOTS (default: a directory in the temp dir).
package dashboard
