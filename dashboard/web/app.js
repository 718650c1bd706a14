// minik8s dashboard: an API client in the browser.
//
// Everything on this page comes from list+watch through the API server
// (reached at /k8s/..., where the dashboard's backend adds its credential),
// exactly as an informer in informer/ does it: list, then watch from the
// list's resourceVersion; on a broken stream watch again from the last
// resourceVersion seen; on 410 Gone list again. Every action is one API
// request, shown under "Requests this page made" with its response.
// Rendering is batched: changes mark views dirty, and one
// requestAnimationFrame callback redraws what is dirty.
"use strict";

const $ = (sel) => document.querySelector(sel);
const esc = (s) => String(s ?? "").replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]);
const key = (o) => (o.metadata.namespace ? o.metadata.namespace + "/" : "") + o.metadata.name;
const rvOf = (o) => Number(o?.metadata?.resourceVersion || 0);

// ---- requests --------------------------------------------------------

// api sends one request to the API server and logs it with its answer.
async function api(method, path, body, contentType = "application/json") {
  const li = document.createElement("li");
  li.textContent = `${method} ${path}` + (body ? " " + JSON.stringify(body) : "") + " …";
  $("#requests").prepend(li);
  let status = 0, out;
  try {
    const r = await fetch("/k8s" + path, {
      method, headers: body ? { "Content-Type": contentType } : {},
      body: body ? JSON.stringify(body) : undefined,
    });
    status = r.status;
    const text = await r.text();
    try { out = JSON.parse(text); } catch { out = { message: text }; }
  } catch (e) {
    out = { message: String(e) };
  }
  const msg = out?.kind === "Status" ? `${out.reason || out.status}: ${out.message}` : `${out?.kind || ""} ${out?.metadata?.name || ""} rv ${out?.metadata?.resourceVersion || "–"}`;
  const sent = body ? JSON.stringify(body) : "";
  li.innerHTML = `${esc(method)} ${esc(path)} ${esc(sent.length > 160 ? sent.slice(0, 160) + "…" : sent)} → <b class="code${String(status)[0]}">${status || "failed"}</b> ${esc(msg)}`;
  li.dataset.status = status;
  return { status, body: out };
}

// ---- informers ---------------------------------------------------------

const stores = {}; // name → Map(key → object)
const informers = [];
let revision = 0, problem = "";

// setConn shows whether the page is watching, and what went wrong if not.
function setConn(p) {
  problem = p;
  $("#conn").className = p ? "bad" : "ok";
  $("#conn").textContent = p ? "reconnecting" : "watching";
  $("#banner").hidden = !p;
  $("#banner").textContent = p;
}

// recovered keeps the last recovery on screen, so that a class sees the
// page relist or re-watch, as an informer does.
function recovered(msg) {
  $("#recovered").textContent = new Date().toLocaleTimeString() + " " + msg;
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// informer declares a list+watch of path (a collection, e.g. /api/v1/pods)
// into stores[name]; onEvent(type, obj, old, listed) sees each change.
function informer(name, kind, path, onEvent) {
  informers.push({ name, kind, path, onEvent, store: (stores[name] = new Map()), rv: "", listed: false });
}

// list replaces the informer's store with a fresh list, reporting the
// differences as events (listed = true), and remembers its revision.
async function list(inf) {
  const r = await fetch(`/k8s${inf.path}`);
  if (!r.ok) throw new Error(`list ${inf.path}: ${r.status} ${(await r.text()).slice(0, 200)}`);
  const l = await r.json(), seen = new Set();
  for (const o of l.items || []) {
    const k = key(o), old = inf.store.get(k);
    seen.add(k);
    if (!old || rvOf(old) !== rvOf(o)) { inf.store.set(k, o); inf.onEvent("ADDED", o, old, true); }
  }
  for (const [k, old] of inf.store) if (!seen.has(k)) { inf.store.delete(k); inf.onEvent("DELETED", old, old, true); }
  inf.rv = l.metadata.resourceVersion;
  wireRelist(inf.kind, inf.rv, inf.listed);
  inf.listed = true;
  bumpRevision(Number(inf.rv));
}

// runInformers lists what needs listing, then watches everything from
// the revisions it has, in one request (see dashboard/watch.go: a browser
// has only six connections per host). When a watch ends it watches
// again; after 410 Gone it lists that kind again first.
async function runInformers() {
  const byName = Object.fromEntries(informers.map((i) => [i.name, i]));
  let failures = 0;
  for (;;) {
    try {
      for (const inf of informers) if (!inf.rv) await list(inf);
      const r = await fetch("/watch?" + informers.map((i) => "w=" + encodeURIComponent(`${i.name},${i.path},${i.rv}`)).join("&"));
      if (!r.ok) throw new Error(`watch: ${r.status} ${(await r.text()).slice(0, 200)}`);
      if (problem) recovered(`watching again from the last revisions seen, after: ${problem}`);
      setConn("");
      failures = 0;
      const reader = r.body.pipeThrough(new TextDecoderStream()).getReader();
      let buf = "", ended = false;
      while (!ended) {
        const { value, done } = await reader.read();
        if (done) throw new Error("the connection to the dashboard closed");
        buf += value;
        let nl;
        while ((nl = buf.indexOf("\n")) >= 0) {
          const m = JSON.parse(buf.slice(0, nl)), inf = byName[m.w];
          buf = buf.slice(nl + 1);
          if (m.end) {
            if (m.code === 410) inf.rv = "";
            if (m.code !== 200 && m.code !== 410) throw new Error(`watch ${inf.path}: ${m.code} ${m.message}`);
            ended = true;
            break;
          }
          apply(inf, m.event);
        }
      }
      reader.cancel().catch(() => {});
    } catch (e) {
      failures++;
      setConn(`${e.message || e}; trying again (attempt ${failures})`);
      await sleep(Math.min(250 * 2 ** failures, 5000));
    }
  }
}

// apply applies one watch event to the informer's store.
function apply(inf, ev) {
  const o = ev.object;
  if (ev.type === "ERROR") {
    if (o.code === 410) { inf.rv = ""; recovered(`${inf.kind}: 410 Gone (${o.message}): listing again`); }
    return;
  }
  inf.rv = o.metadata.resourceVersion;
  bumpRevision(Number(inf.rv));
  if (ev.type === "BOOKMARK") return;
  const k = key(o), old = inf.store.get(k);
  if (ev.type === "DELETED") inf.store.delete(k); else inf.store.set(k, o);
  inf.onEvent(ev.type, o, old, false);
}

function bumpRevision(rv) {
  if (rv > revision) { revision = rv; dirty.add("revision"); schedule(); }
}

// ---- batched rendering ----------------------------------------------

const dirty = new Set(); // views to redraw, and "node:<name>" boxes
const stats = { frames: 0, renderMs: [], events: 0 };
window.dashStats = stats; // read by the browser test and by the curious
let frame = 0, view = "cluster";

function schedule() {
  if (!frame) frame = requestAnimationFrame(render);
}

function render() {
  frame = 0;
  const t0 = performance.now();
  if (dirty.has("revision")) $("#revision").textContent = "rv " + revision;
  if (view === "cluster") renderCluster();
  if (view === "workloads" && dirty.has("workloads")) renderWorkloads();
  if (view === "wire" && dirty.has("wire")) renderWire();
  if (view === "leaders" && dirty.has("leaders")) renderLeaders();
  if (view === "scheduler" && dirty.has("scheduler")) renderScheduler();
  if (dirty.has("selection")) renderSelection();
  for (const d of [...dirty]) if (!d.startsWith("node:") || view === "cluster") dirty.delete(d);
  stats.frames++;
  stats.renderMs.push(performance.now() - t0);
  if (stats.renderMs.length > 1000) stats.renderMs.shift();
}

// ---- cluster view -----------------------------------------------------

const podsByNode = new Map(); // node name ("" = unscheduled) → Set of pod keys
const lastFailedScheduling = new Map(); // pod key → message
const nodeBoxes = new Map();

function indexPod(type, pod, old) {
  const k = key(pod);
  if (old) { podsByNode.get(old.spec.nodeName || "")?.delete(k); dirty.add("node:" + (old.spec.nodeName || "")); }
  if (type !== "DELETED") {
    const n = pod.spec.nodeName || "";
    if (!podsByNode.has(n)) podsByNode.set(n, new Set());
    podsByNode.get(n).add(k);
    dirty.add("node:" + n);
  } else lastFailedScheduling.delete(k);
  dirty.add("workloads");
  if (decisionOf(pod) || decisionOf(old || {})) dirty.add("scheduler");
  if (selected === "pod:" + k) dirty.add("selection");
}

const cond = (o, t) => (o.status?.conditions || []).find((c) => c.type === t)?.status === "True";
const podReady = (p) => cond(p, "Ready");

function parseQty(q) {
  if (q == null) return 0;
  const m = String(q).match(/^([0-9.]+)([a-zA-Z]*)$/);
  if (!m) return 0;
  const f = { "": 1, m: 1e-3, k: 1e3, K: 1e3, M: 1e6, G: 1e9, T: 1e12, Ki: 1024, Mi: 1024 ** 2, Gi: 1024 ** 3, Ti: 1024 ** 4 }[m[2]] ?? 1;
  return Number(m[1]) * f;
}

function chip(p) {
  const phase = p.metadata.deletionTimestamp ? "deleting " + p.status?.phase : p.status?.phase || "Pending";
  return `<span class="chip ${esc(phase)}${podReady(p) ? " ready" : ""}" data-pod="${esc(key(p))}" title="${esc(key(p))} ${esc(p.status?.phase)}"></span>`;
}

function renderNode(name) {
  const n = stores.nodes.get(name);
  let box = nodeBoxes.get(name);
  if (!n) { box?.remove(); nodeBoxes.delete(name); return; }
  if (!box) {
    box = document.createElement("div");
    box.dataset.node = name;
    nodeBoxes.set(name, box);
    const boxes = [...nodeBoxes.keys()].sort();
    const next = nodeBoxes.get(boxes[boxes.indexOf(name) + 1]);
    $("#nodes").insertBefore(box, next || null);
  }
  const pods = [...(podsByNode.get(name) || [])].map((k) => stores.pods.get(k)).filter(Boolean);
  const req = { cpu: 0, memory: 0 };
  for (const p of pods) {
    if (["Succeeded", "Failed"].includes(p.status?.phase)) continue;
    for (const c of p.spec.containers || []) { req.cpu += parseQty(c.resources?.requests?.cpu); req.memory += parseQty(c.resources?.requests?.memory); }
  }
  const alloc = n.status?.allocatable || {};
  const bar = (r) => { const a = parseQty(alloc[r]); return a ? Math.min(100, (100 * req[r]) / a) : 0; };
  const ready = cond(n, "Ready"), cordoned = !!n.spec.unschedulable, ag = agents.get(name) || {};
  box.className = "node" + (ready ? "" : " notready") + (cordoned ? " cordoned" : "");
  setHTML(box, `<div><span class="name">${esc(name)}</span> ${ready ? "Ready" : "NotReady"}${cordoned ? ", SchedulingDisabled" : ""}
    <button class="small" data-act="${cordoned ? "uncordon" : "cordon"}">${cordoned ? "uncordon" : "cordon"}</button>
    <button class="small" data-act="drain">drain</button>
    <button class="small" data-act="agent" data-action="${ag.stopped ? "start" : "stop"}">${ag.stopped ? "start" : "stop"} agent</button>
    <button class="small" data-act="agent" data-action="${ag.frozen ? "unfreeze" : "freeze"}">${ag.frozen ? "unfreeze" : "freeze"} agent</button></div>
    ${ag.stopped || ag.frozen ? `<div class="meta agent">node agent ${ag.stopped ? "stopped" : "frozen"}: no heartbeats</div>` : ""}
    <div class="meta">cpu ${req.cpu.toFixed(2)} / ${esc(alloc.cpu)} requested</div><div class="bar"><i style="width:${bar("cpu")}%"></i></div>
    <div class="meta">memory ${(req.memory / 2 ** 20).toFixed(0)}Mi / ${(parseQty(alloc.memory) / 2 ** 20).toFixed(0)}Mi requested</div><div class="bar"><i style="width:${bar("memory")}%"></i></div>
    ${(n.spec.taints || []).map((t) => `<span class="taint">${esc(t.key)}${t.value ? "=" + esc(t.value) : ""}:${esc(t.effect)}</span>`).join(" ")}
    <div class="chips">${pods.map(chip).join("")}</div>`);
}

// setHTML replaces el's content only when it changed, so that a button
// under the mouse survives events that change nothing it shows.
function setHTML(el, html) {
  if (el._html !== html) { el.innerHTML = html; el._html = html; }
}

function renderCluster() {
  if (dirty.has("cluster")) for (const name of stores.nodes?.keys() || []) dirty.add("node:" + name);
  for (const d of dirty) {
    if (!d.startsWith("node:")) continue;
    const name = d.slice(5);
    if (name === "") renderPending(); else renderNode(name);
  }
  if (dirty.has("pending")) renderPending();
}

const PENDING_SHOWN = 50;

function renderPending() {
  const rows = [...(podsByNode.get("") || [])].map((k) => stores.pods.get(k)).filter((p) => p && !p.spec.nodeName);
  // A burst of pods can leave hundreds pending for a moment: show the first
  // ones, count the rest, and keep each frame short.
  setHTML($("#pending tbody"), rows.slice(0, PENDING_SHOWN).map((p) =>
    `<tr data-pod="${esc(key(p))}"><td>${chip(p)} ${esc(key(p))}</td><td>${esc(lastFailedScheduling.get(key(p)) || "waiting for the scheduler")}</td></tr>`).join("") +
    (rows.length > PENDING_SHOWN ? `<tr><td colspan=2>and ${rows.length - PENDING_SHOWN} more</td></tr>` : ""));
}

// ---- workloads view ---------------------------------------------------

function renderWorkloads() {
  const owned = (uid, store) => [...(store?.values() || [])].filter((o) => (o.metadata.ownerReferences || []).some((r) => r.uid === uid));
  const ds = [...(stores.deployments?.values() || [])].sort((a, b) => key(a).localeCompare(key(b)));
  const box = $("#deployments"), keep = new Set();
  for (const d of ds) {
    const s = d.status || {}, ru = d.spec.strategy?.rollingUpdate || {};
    const rss = owned(d.metadata.uid, stores.replicasets).sort((a, b) =>
      Number(b.metadata.annotations?.["deployment.kubernetes.io/revision"] || 0) - Number(a.metadata.annotations?.["deployment.kubernetes.io/revision"] || 0));
    let el = box.querySelector(`[data-deployment="${CSS.escape(key(d))}"]`);
    if (!el) { el = document.createElement("div"); el.className = "deploy"; el.dataset.deployment = key(d); box.append(el); }
    keep.add(el);
    el.dataset.replicas = d.spec.replicas;
    setHTML(el, `<b>${esc(key(d))}</b> replicas ${d.spec.replicas} · updated ${s.updatedReplicas || 0} · ready ${s.readyReplicas || 0} · available ${s.availableReplicas || 0}
      · ${esc(d.spec.strategy?.type || "RollingUpdate")} maxSurge ${esc(ru.maxSurge ?? "25%")} maxUnavailable ${esc(ru.maxUnavailable ?? "25%")}
      <button class="small" data-act="scale" data-by="-1">−1</button><button class="small" data-act="scale" data-by="1">+1</button>
      ${rss.map((rs, i) => `<div class="rs${i ? " old" : ""}" data-rs="${esc(key(rs))}">ReplicaSet ${esc(rs.metadata.name)}
        (revision ${esc(rs.metadata.annotations?.["deployment.kubernetes.io/revision"] || "?")}): ${rs.spec.replicas} desired, ${rs.status?.readyReplicas || 0} ready
        <span class="chips">${owned(rs.metadata.uid, stores.pods).map(chip).join("")}</span></div>`).join("")}`);
  }
  for (const el of [...box.children]) if (!keep.has(el)) el.remove();
  $("#no-deployments").hidden = ds.length > 0;
  renderServices();
  const n = (v) => v || 0, since = (t) => (t ? new Date(t).toLocaleTimeString() : "–");
  const trueConds = (o) => (o.status?.conditions || []).filter((c) => c.status === "True")
    .map((c) => `<span title="${esc(c.reason)}: ${esc(c.message)}">${esc(c.type)}</span>`).join(" ") || "–";
  const pods = (o) => `<span class="chips">${owned(o.metadata.uid, stores.pods).map(chip).join("")}</span>`;
  // What each controller wrote in status; nothing here computes it.
  fill("jobs", "jobs", (j) => `<tr data-job="${esc(key(j))}" data-succeeded="${n(j.status?.succeeded)}">
    <td>${esc(key(j))}</td><td>${n(j.status?.succeeded)}/${j.spec.completions ?? 1}</td><td>${j.spec.parallelism ?? 1}</td>
    <td>${n(j.status?.active)}</td><td>${n(j.status?.succeeded)}</td><td>${n(j.status?.failed)}</td><td>${trueConds(j)}</td><td>${pods(j)}</td></tr>`);
  fill("cronjobs", "cronjobs", (c) => `<tr data-cronjob="${esc(key(c))}" data-active="${(c.status?.active || []).length}">
    <td>${esc(key(c))}</td><td>${esc(c.spec.schedule)}${c.spec.suspend ? " (suspended)" : ""}</td>
    <td>${since(c.status?.lastScheduleTime)}</td><td>${since(c.status?.lastSuccessfulTime)}</td>
    <td>${(c.status?.active || []).map((r) => esc(r.name)).join(" ") || "–"}</td></tr>`);
  const sets = [...sorted("statefulsets").map((s) => ["StatefulSet", s, s.spec.replicas ?? 1, n(s.status?.readyReplicas)]),
    ...sorted("daemonsets").map((d) => ["DaemonSet", d, n(d.status?.desiredNumberScheduled), n(d.status?.numberReady)])];
  $("#sets").hidden = !sets.length;
  setHTML($("#sets tbody"), sets.map(([kind, o, desired, ready]) => `<tr data-${kind.toLowerCase()}="${esc(key(o))}" data-desired="${desired}" data-ready="${ready}">
    <td>${kind}</td><td>${esc(key(o))}</td><td>${desired}</td><td>${ready}</td><td>${pods(o)}</td></tr>`).join(""));
  fill("pdbs", "pdbs", (b) => `<tr data-pdb="${esc(key(b))}" data-allowed="${n(b.status?.disruptionsAllowed)}">
    <td>${esc(key(b))}</td><td>${b.spec.minAvailable != null ? "minAvailable " + esc(b.spec.minAvailable) : "maxUnavailable " + esc(b.spec.maxUnavailable ?? "–")}</td>
    <td>${n(b.status?.disruptionsAllowed)}</td><td>${n(b.status?.currentHealthy)}/${n(b.status?.desiredHealthy)}</td><td>${n(b.status?.expectedPods)}</td></tr>`);
}

const sorted = (name) => [...(stores[name]?.values() || [])].sort((a, b) => key(a).localeCompare(key(b)));

// fill writes one row per object of stores[name] into table #id, and hides
// the table while there are none.
function fill(id, name, row) {
  const objs = sorted(name);
  $("#" + id).hidden = !objs.length;
  setHTML($(`#${id} tbody`), objs.map(row).join(""));
}

// renderServices shows each Service with its endpoints, as the endpoints
// controller publishes them in EndpointSlices (label
// kubernetes.io/service-name). An endpoint whose ready condition is unset
// counts as ready, as Kubernetes says consumers should read it; one pod in
// two slices (IPv4 and IPv6) counts once.
function renderServices() {
  const eps = new Map(); // namespace/service → Map(endpoint → ready)
  for (const sl of stores.endpointslices?.values() || []) {
    const svc = sl.metadata.labels?.["kubernetes.io/service-name"];
    if (!svc) continue;
    const k = sl.metadata.namespace + "/" + svc;
    if (!eps.has(k)) eps.set(k, new Map());
    for (const e of sl.endpoints || []) eps.get(k).set(e.targetRef?.uid || e.addresses?.[0], e.conditions?.ready !== false);
  }
  fill("services", "services", (s) => {
    const states = [...(eps.get(key(s))?.values() || [])], ready = states.filter(Boolean).length;
    const ports = (s.spec.ports || []).map((p) => `${p.port}${p.nodePort ? ":" + p.nodePort : ""}/${p.protocol || "TCP"}→${p.targetPort ?? p.port}`).join(" ");
    return `<tr data-service="${esc(key(s))}" data-ready="${ready}" data-notready="${states.length - ready}">
      <td>${esc(key(s))}</td><td>${esc(s.spec.type || "ClusterIP")}</td><td>${esc(s.spec.clusterIP || "–")}</td><td>${esc(ports)}</td>
      <td class="ready">${ready}</td><td${states.length > ready ? ' class="notready"' : ""}>${states.length - ready}</td></tr>`;
  });
}

// ---- the wire -----------------------------------------------------------

const wire = []; // sorted by resourceVersion
let wirePaused = false;
const WIRE_MAX = 5000, WIRE_SHOWN = 400;

// changedFields lists the paths (to depth 3) whose values differ.
function changedFields(a, b, path = "", depth = 0, out = []) {
  if (out.length > 8) return out;
  if (depth === 3 || typeof a !== "object" || typeof b !== "object" || !a || !b || Array.isArray(a) || Array.isArray(b)) {
    if (JSON.stringify(a) !== JSON.stringify(b)) out.push(path);
    return out;
  }
  for (const k of new Set([...Object.keys(a), ...Object.keys(b)])) {
    if (k === "resourceVersion" || k === "managedFields") continue;
    changedFields(a[k], b[k], path ? path + "." + k : k, depth + 1, out);
  }
  return out;
}

function wirePush(e) {
  let i = wire.length;
  while (i > 0 && wire[i - 1].rv > e.rv) i--; // streams of different kinds interleave
  wire.splice(i, 0, e);
  if (wire.length > WIRE_MAX * 1.1) wire.splice(0, wire.length - WIRE_MAX); // trim in bulk, not per event
  if (!wirePaused) { dirty.add("wire"); schedule(); }
}

function wireRelist(kind, rv, again) {
  wirePush({ rv: Number(rv), type: again ? "RELIST" : "LIST", kind, name: "", changed: again ? "listed again after a broken or expired watch" : "initial list", relist: true });
  if (!$(`#wire-kind option[value="${kind}"]`)) $("#wire-kind").insertAdjacentHTML("beforeend", `<option value="${esc(kind)}">${esc(kind)}</option>`);
}

function renderWire() {
  const kind = $("#wire-kind").value, name = $("#wire-name").value;
  const rows = [];
  for (let i = wire.length - 1; i >= 0 && rows.length < WIRE_SHOWN; i--) {
    const e = wire[i];
    if ((kind && e.kind !== kind) || (name && !e.name.includes(name))) continue;
    rows.push(`<tr class="${e.relist ? "relist" : ""}" data-rv="${e.rv}" data-kind="${esc(e.kind)}" data-name="${esc(e.name)}" data-type="${e.type}"><td>${e.rv}</td><td class="${e.type}">${e.type}</td><td>${esc(e.kind)}</td><td>${esc(e.name)}</td><td>${esc(e.changed)}</td></tr>`);
  }
  $("#wire tbody").innerHTML = rows.join("");
  $("#wire-count").textContent = `${wire.length} events kept, newest first${wirePaused ? " (paused)" : ""}`;
}

// ---- leaders --------------------------------------------------------------

const leaseHistory = new Map(); // lease key → [{holder, at}]
let replicaState = {}; // role → [status]
const agents = new Map(); // node → its agent's state, as the last control answered
const roleOfLease = { "kube-scheduler": "scheduler", "kube-controller-manager": "controller-manager" };

function noteLease(type, l, old) {
  if (l.metadata.namespace === "kube-system") {
    const h = leaseHistory.get(key(l)) || [];
    const holder = l.spec.holderIdentity || "(none)";
    if (!h.length || h[h.length - 1].holder !== holder) h.push({ holder, at: new Date().toLocaleTimeString(), transitions: l.spec.leaseTransitions || 0 });
    leaseHistory.set(key(l), h.slice(-10));
    if (old?.spec.holderIdentity !== l.spec.holderIdentity) refreshReplicas();
  }
  dirty.add("leaders");
}

function countdown(l) {
  const renew = Date.parse(l.spec.renewTime || l.spec.acquireTime || 0);
  return renew + (l.spec.leaseDurationSeconds || 0) * 1000 - Date.now();
}

function renderLeaders() {
  const leases = [...(stores.leases?.values() || [])];
  $("#leases").innerHTML = leases.filter((l) => l.metadata.namespace === "kube-system").map((l) => {
    const left = countdown(l);
    return `<div class="lease" data-lease="${esc(l.metadata.name)}" data-holder="${esc(l.spec.holderIdentity)}">
      <b>${esc(l.metadata.name)}</b> held by <b class="holder">${esc(l.spec.holderIdentity || "nobody")}</b>,
      renewed ${esc(l.spec.renewTime || "–")} · lease ${l.spec.leaseDurationSeconds}s · ${l.spec.leaseTransitions || 0} transitions
      <div>a standby may take over in <span class="countdown${left <= 0 ? " expired" : ""}">${left > 0 ? (left / 1000).toFixed(1) + " s" : "now (expired " + (-left / 1000).toFixed(1) + " s ago)"}</span></div>
      <div class="note">seen here: ${(leaseHistory.get(key(l)) || []).map((h) => `${esc(h.at)} → ${esc(h.holder)}`).join(" · ")}</div></div>`;
  }).join("") || "<p class=note>No leases in kube-system: is leader election on?</p>";
  $("#replicas").innerHTML = Object.entries(replicaState).map(([role, list]) => {
    const lease = stores.leases?.get("kube-system/" + Object.keys(roleOfLease).find((k) => roleOfLease[k] === role));
    return `<div><b>${esc(role)}</b>${(Array.isArray(list) ? list : []).map((r, i) => {
      const leader = lease && r.identity === lease.spec.holderIdentity;
      return `<div class="replica${leader ? " leader" : ""}" data-role="${esc(role)}" data-i="${i}"><span class="id">${esc(r.identity)}</span>
        ${leader ? "(leader)" : ""} ${r.stopped ? "stopped" : r.frozen ? "frozen" : ""}
        <button class="small" data-act="replica" data-action="stop"${r.stopped ? " disabled" : ""}>stop</button>
        <button class="small" data-act="replica" data-action="${r.frozen ? "unfreeze" : "freeze"}"${r.stopped ? " disabled" : ""}>${r.frozen ? "unfreeze" : "freeze"}</button></div>`;
    }).join("")}</div>`;
  }).join("") || "<p class=note>No replica endpoints: start minik8s all with --scheduler-port or --controller-manager-port to stop or freeze replicas from here.</p>";
  $("#node-leases tbody").innerHTML = leases.filter((l) => l.metadata.namespace === "kube-node-lease").map((l) =>
    `<tr><td>${esc(l.metadata.name)}</td><td>${esc(l.spec.holderIdentity)}</td><td>${esc(l.spec.renewTime)}</td><td>${((Date.now() - Date.parse(l.spec.renewTime)) / 1000).toFixed(0)} s</td></tr>`).join("");
}

let roles = [];
async function refreshReplicas() {
  for (const role of roles) {
    try {
      const r = await fetch(`/replicas/${role}`);
      replicaState[role] = r.ok ? await r.json() : [];
    } catch { replicaState[role] = []; }
  }
  dirty.add("leaders"); schedule();
}

// ---- pressure ----------------------------------------------------------

let lastScrape = null;
async function scrape() {
  const r = await fetch("/k8s/metrics");
  if (!r.ok) return;
  const now = performance.now(), samples = {};
  for (const line of (await r.text()).split("\n")) {
    const m = line.match(/^(\w+)(?:\{(.*)\})? ([0-9.eE+-]+|NaN)$/);
    if (!m) continue;
    const labels = Object.fromEntries([...(m[2] || "").matchAll(/(\w+)="([^"]*)"/g)].map((x) => [x[1], x[2]]));
    (samples[m[1]] ||= []).push({ labels, v: Number(m[3]) });
  }
  const by = {};
  for (const s of samples.apiserver_request_total || []) {
    const k = s.labels.verb + " " + s.labels.resource;
    const e = (by[k] ||= { verb: s.labels.verb, resource: s.labels.resource, total: 0, c409: 0, c429: 0 });
    e.total += s.v;
    if (s.labels.code === "409") e.c409 += s.v;
    if (s.labels.code === "429") e.c429 += s.v;
  }
  const dt = lastScrape ? (now - lastScrape.at) / 1000 : 0;
  const rate = (k, f) => (dt && lastScrape.by[k] ? Math.max(0, (by[k][f] - lastScrape.by[k][f]) / dt) : 0);
  const rows = Object.entries(by).map(([k, e]) => ({ ...e, rps: rate(k, "total"), r409: rate(k, "c409"), r429: rate(k, "c429") }))
    .sort((a, b) => b.rps - a.rps || b.total - a.total);
  $("#pressure tbody").innerHTML = rows.map((e) =>
    `<tr><td>${esc(e.verb)}</td><td>${esc(e.resource)}</td><td>${e.rps.toFixed(1)}</td><td>${e.r409.toFixed(1)}</td><td>${e.r429.toFixed(1)}</td><td>${e.c409}</td><td>${e.c429}</td></tr>`).join("");
  // By user: the limiter's per-user series (their user label is bounded).
  const users = {};
  const user = (s) => (users[s.labels.user] ||= { total: 0, c429: 0, seats: 0 });
  for (const s of samples.minik8s_user_dispatched_requests_total || []) user(s).total += s.v;
  for (const s of samples.minik8s_user_rejected_requests_total || []) user(s).c429 += s.v;
  for (const s of samples.minik8s_user_executing_requests || []) user(s).seats += s.v;
  const urate = (u, f) => (dt && lastScrape.users?.[u] ? Math.max(0, (users[u][f] - lastScrape.users[u][f]) / dt) : 0);
  $("#pressure-users tbody").innerHTML = Object.entries(users)
    .map(([u, e]) => ({ u, ...e, rps: urate(u, "total"), r429: urate(u, "c429") }))
    .sort((a, b) => b.rps - a.rps || b.total - a.total)
    .map((e) => `<tr data-user="${esc(e.u)}"><td>${esc(e.u)}</td><td>${e.rps.toFixed(1)}</td><td>${e.r429.toFixed(1)}</td><td>${e.seats}</td><td>${e.c429}</td></tr>`).join("");
  const g = (n) => (samples[n] || []).reduce((a, s) => a + s.v, 0);
  const rejected = (samples.apiserver_rejected_requests_total || []).map((s) => `${esc(s.labels.reason)} ${s.v}`).join(", ");
  $("#gauges").innerHTML = `<span>store revision <b>${g("minik8s_store_revision")}</b></span><span>watchers open <b>${g("apiserver_registered_watchers")}</b></span>
    <span>long-running requests <b>${g("apiserver_longrunning_requests")}</b></span><span>rejected: ${rejected || "none"}</span>`;
  lastScrape = { at: now, by, users };
}

// ---- scheduler view ----------------------------------------------------------
// The scheduler publishes each decision on its pod (scheduler/decision.go):
// {selected, message, nodes: [{name, filter, scores: {plugin: weighted}, total}]}.

const DECISION = "scheduler.minik8s.io/decision";
const decisionOf = (p) => p.metadata?.annotations?.[DECISION];
let decisionPod = ""; // the pod shown: picked in the list, or the last pod clicked

function renderScheduler() {
  const sel = $("#decision-pod");
  const keys = [...stores.pods.values()].filter(decisionOf).map(key).sort();
  const want = keys.includes(decisionPod) ? decisionPod : keys[0] || "";
  setHTML(sel, keys.length ? keys.map((k) => `<option${k === want ? " selected" : ""}>${esc(k)}</option>`).join("")
    : "<option value=''>no pod carries a decision yet</option>");
  const p = stores.pods.get(want);
  let d;
  try { d = p && JSON.parse(decisionOf(p)); } catch { d = null; }
  if (!d) { $("#decision").innerHTML = ""; return; }
  // kube-scheduler's plugin order, then any other.
  const order = ["NodeResourcesFit", "NodeResourcesBalancedAllocation", "TaintToleration", "NodeAffinity", "InterPodAffinity", "PodTopologySpread"];
  const rank = (pl) => (order.includes(pl) ? order.indexOf(pl) : order.length);
  const plugins = [...new Set(d.nodes.flatMap((n) => Object.keys(n.scores || {})))].sort((a, b) => rank(a) - rank(b) || a.localeCompare(b));
  const short = { NodeResourcesFit: "Fit", NodeResourcesBalancedAllocation: "Balanced", TaintToleration: "Taints", NodeAffinity: "NodeAff", InterPodAffinity: "PodAff", PodTopologySpread: "Spread" };
  const head = `<tr><th>node</th><th>filters</th>${plugins.map((pl) => `<th title="${esc(pl)}">${esc(short[pl] || pl)}</th>`).join("")}<th>total</th></tr>`;
  const rows = d.nodes.map((n) => `<tr data-node="${esc(n.name)}" class="${n.name === d.selected ? "picked" : n.filter ? "refused" : ""}">
    <td>${esc(n.name)}${n.name === d.selected ? " ← picked" : ""}</td><td>${esc(n.filter || "passed")}</td>
    ${plugins.map((pl) => `<td>${n.scores ? n.scores[pl] : ""}</td>`).join("")}<td>${n.scores ? n.total : ""}</td></tr>`).join("");
  $("#decision").innerHTML = `<p>${d.selected ? `picked <b>${esc(d.selected)}</b>` : `<b>no node fits</b>: ${esc(d.message || "")}`}
    (${d.nodes.length} nodes looked at)</p><table id="decision-table"><thead>${head}</thead><tbody>${rows}</tbody></table>`;
}

// ---- actions ---------------------------------------------------------------

let selected = "";

function renderSelection() {
  const el = $("#selection");
  if (!selected.startsWith("pod:")) { el.innerHTML = ""; return; }
  const k = selected.slice(4), p = stores.pods.get(k);
  if (!p) { el.innerHTML = `<p class=note>${esc(k)} is gone.</p>`; return; }
  el.innerHTML = `<h2>Pod ${esc(k)}</h2><div>phase ${esc(p.status?.phase)}, ${podReady(p) ? "ready" : "not ready"}, node ${esc(p.spec.nodeName || "none yet")}, rv ${esc(p.metadata.resourceVersion)}</div>
    <button data-act="delete-pod">delete pod</button>`;
}

async function scale(dkey, by) {
  const d = stores.deployments.get(dkey);
  const [ns, name] = dkey.split("/");
  await api("PATCH", `/apis/apps/v1/namespaces/${ns}/deployments/${name}/scale`, { spec: { replicas: Math.max(0, d.spec.replicas + by) } }, "application/merge-patch+json");
}

async function drain(node) {
  await api("PATCH", `/api/v1/nodes/${node}`, { spec: { unschedulable: true } }, "application/merge-patch+json");
  // No eviction subresource here: delete each pod, as kubectl drain falls back to.
  for (const k of [...(podsByNode.get(node) || [])]) {
    const p = stores.pods.get(k);
    if (p && !p.metadata.deletionTimestamp) await api("DELETE", `/api/v1/namespaces/${p.metadata.namespace}/pods/${p.metadata.name}`);
  }
}

// makeConflict sends two updates of one Lease from the same
// resourceVersion: optimistic concurrency lets exactly one through (as
// for two leader candidates; see store/ and election/leaselock).
async function makeConflict() {
  const path = "/apis/coordination.k8s.io/v1/namespaces/default/leases/dashboard-conflict";
  let got = await api("GET", path);
  if (got.status === 404) got = await api("POST", "/apis/coordination.k8s.io/v1/namespaces/default/leases", { metadata: { name: "dashboard-conflict" }, spec: { holderIdentity: "nobody" } });
  if (got.status >= 300) return;
  const base = got.body;
  const put = (who) => api("PUT", path, { ...base, spec: { ...base.spec, holderIdentity: who } });
  const results = await Promise.all([put("A"), put("B")]);
  $("#conflict-result").innerHTML = results.map((r, i) =>
    `<div data-status="${r.status}"><b>update ${"AB"[i]} from rv ${esc(base.metadata.resourceVersion)}</b><br><b class="code${String(r.status)[0]}">${r.status}</b> ${esc(r.body.kind === "Status" ? r.body.reason + ": " + r.body.message : "written at rv " + r.body.metadata?.resourceVersion)}</div>`).join("");
}

document.addEventListener("click", async (ev) => {
  const t = ev.target;
  if (t.matches("#tabs button")) {
    document.querySelectorAll("#tabs button").forEach((b) => b.classList.toggle("on", b === t));
    view = t.dataset.view;
    document.querySelectorAll(".view").forEach((v) => (v.hidden = v.id !== "view-" + view));
    dirty.add({ cluster: "cluster", workloads: "workloads", wire: "wire", leaders: "leaders", scheduler: "scheduler", pressure: "pressure" }[view]);
    if (view === "cluster") dirty.add("pending");
    if (view === "pressure") scrape();
    if (view === "leaders") refreshReplicas();
    schedule();
    return;
  }
  if (t.matches(".chip")) { selected = "pod:" + t.dataset.pod; decisionPod = t.dataset.pod; dirty.add("selection"); dirty.add("scheduler"); schedule(); return; }
  if (t.matches("#conflict")) return makeConflict();
  if (t.matches("#wire-pause")) { wirePaused = !wirePaused; t.textContent = wirePaused ? "resume" : "pause"; dirty.add("wire"); schedule(); return; }
  const act = t.dataset.act;
  if (!act) return;
  const node = t.closest("[data-node]")?.dataset.node;
  if (act === "cordon" || act === "uncordon") await api("PATCH", `/api/v1/nodes/${node}`, { spec: { unschedulable: act === "cordon" } }, "application/merge-patch+json");
  if (act === "drain") await drain(node);
  if (act === "scale") await scale(t.closest("[data-deployment]").dataset.deployment, Number(t.dataset.by));
  if (act === "delete-pod") {
    const [ns, name] = selected.slice(4).split("/");
    await api("DELETE", `/api/v1/namespaces/${ns}/pods/${name}`);
  }
  if (act === "agent") {
    // The node's kubelet, through the dashboard (node agent controls are
    // not API requests: a stopped agent cannot answer the API server).
    const path = `/nodeagents/${encodeURIComponent(node)}/${t.dataset.action}`;
    const res = await fetch(path, { method: "POST" });
    const text = await res.text();
    const li = document.createElement("li");
    li.innerHTML = `POST ${esc(path)} (node agent) → <b class="code${String(res.status)[0]}">${res.status}</b> ${esc(text.slice(0, 200))}`;
    li.dataset.status = res.status;
    $("#requests").prepend(li);
    if (res.ok) { agents.set(node, JSON.parse(text)); dirty.add("node:" + node); schedule(); }
  }
  if (act === "replica") {
    const r = t.closest("[data-role]");
    const li = document.createElement("li");
    const res = await fetch(`/replicas/${r.dataset.role}/${r.dataset.i}/${t.dataset.action}`, { method: "POST" });
    li.innerHTML = `POST /replicas/${esc(r.dataset.role)}/${esc(r.dataset.i)}/${esc(t.dataset.action)} (replica endpoint) → <b class="code${String(res.status)[0]}">${res.status}</b> ${esc((await res.text()).slice(0, 200))}`;
    li.dataset.status = res.status;
    $("#requests").prepend(li);
    refreshReplicas();
  }
});
$("#wire-kind").addEventListener("change", () => { dirty.add("wire"); schedule(); });
$("#decision-pod").addEventListener("change", (e) => { decisionPod = e.target.value; dirty.add("scheduler"); schedule(); });
$("#wire-name").addEventListener("input", () => { dirty.add("wire"); schedule(); });

// ---- start -------------------------------------------------------------

function onEvent(kind, extra) {
  return (type, o, old, listed) => {
    stats.events++;
    if (!listed) wirePush({ rv: rvOf(o), type, kind, name: key(o), changed: type === "MODIFIED" && old ? changedFields(old, o).join(", ") : "" });
    extra?.(type, o, old);
    schedule();
  };
}

(async function start() {
  try { roles = (await (await fetch("/dashboard/config")).json()).replicaRoles || []; } catch { roles = []; }
  informer("nodes", "Node", "/api/v1/nodes", onEvent("Node", (type, n) => { dirty.add("node:" + n.metadata.name); }));
  informer("pods", "Pod", "/api/v1/pods", onEvent("Pod", indexPod));
  informer("deployments", "Deployment", "/apis/apps/v1/deployments", onEvent("Deployment", () => dirty.add("workloads")));
  informer("replicasets", "ReplicaSet", "/apis/apps/v1/replicasets", onEvent("ReplicaSet", () => dirty.add("workloads")));
  for (const [name, kind, path] of [["services", "Service", "/api/v1/services"], ["endpointslices", "EndpointSlice", "/apis/discovery.k8s.io/v1/endpointslices"],
    ["jobs", "Job", "/apis/batch/v1/jobs"], ["cronjobs", "CronJob", "/apis/batch/v1/cronjobs"],
    ["statefulsets", "StatefulSet", "/apis/apps/v1/statefulsets"], ["daemonsets", "DaemonSet", "/apis/apps/v1/daemonsets"],
    ["pdbs", "PodDisruptionBudget", "/apis/policy/v1/poddisruptionbudgets"]])
    informer(name, kind, path, onEvent(kind, () => dirty.add("workloads")));
  informer("leases", "Lease", "/apis/coordination.k8s.io/v1/leases", onEvent("Lease", noteLease));
  informer("events", "Event", "/api/v1/events", onEvent("Event", (type, e) => {
    if (e.reason === "FailedScheduling" && e.involvedObject?.kind === "Pod") {
      lastFailedScheduling.set(`${e.involvedObject.namespace}/${e.involvedObject.name}`, e.message);
      dirty.add("pending");
    }
  }));
  runInformers();
  refreshReplicas();
  // Countdowns tick on the page's clock; nothing is fetched.
  setInterval(() => { if (view === "leaders") { dirty.add("leaders"); schedule(); } }, 250);
  setInterval(() => { if (view === "pressure") scrape(); }, 2000);
})();
