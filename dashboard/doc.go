// Package dashboard serves the web dashboard: a page that shows the
// control plane's insides live (nodes and pods, rollouts, the watch stream
// with its resourceVersions, leases counting down, request pressure) and
// acts on the cluster through API requests.
//
// It is just another API client, as every component is. The page lists
// and watches through the API server, as an informer does, and every
// action it takes is one API request, which it shows with its response.
// The page's scripts are plain JavaScript embedded in the binary (web/);
// they reach the API server through this package's backend, which adds
// the dashboard's credential:
//
//   - /k8s/...            proxied to the API server;
//   - /watch              the page's watches of the API server, relayed
//     in one response (a browser opens only six connections to a host);
//   - /replicas/{role}/... proxied to a role's replica endpoints (the
//     scheduler's, the controller manager's), when the role's port is on;
//   - /nodeagents/{node}/{action} proxied to the node agent controls of
//     the kubelet the Node names (on loopback only), to stop, start,
//     freeze or unfreeze that node's agent;
//   - /dashboard/config   what the page needs to know (the replica roles).
//
// Protection. The server listens on loopback unless told otherwise, and
// serves nobody without a session cookie. The one way to get one is the
// login URL (LoginURL, which minik8s prints), whose random secret works
// once: it sets an HttpOnly, SameSite=Strict cookie, signed with a key
// kept in the data dir (so the session outlives a restart), and redirects
// to the page. So a user on another host, another local user without the
// URL, and another web page in the same browser (SameSite=Strict keeps the
// cookie off cross-site requests) cannot use it. Requests whose Host
// header is not the dashboard's own address are refused (DNS rebinding: a
// hostile name resolving to 127.0.0.1 arrives with its own Host), as are
// requests with a cross-site Origin or Sec-Fetch-Site (CSRF). The browser
// never holds a Kubernetes credential.
//
// Server methods are safe for concurrent use.
package dashboard
