#!/usr/bin/env bash
# hack/ha.sh: the HA experiment, every role in its own process, on one
# Postgres and one Redis.
#
#   hack/ha.sh up        start two API servers (A on 6443, B on 6444; one
#                        data dir, so one CA and one token file), a
#                        scheduler process with 3 replicas (through A), a
#                        controller-manager process with 2 replicas (through
#                        B) and a kubelet process with 5 simulated nodes
#                        (through A); wait until the nodes are Ready and
#                        both leases have holders
#   hack/ha.sh leaders   who leads: kubectl get leases -n kube-system
#   hack/ha.sh replicas  a table of every replica's state (leading,
#                        standby, frozen, stopped), fence and lease holder,
#                        from each process's GET /replicas (HTTPS, as the
#                        admin: the ports accept the admin token only)
#   hack/ha.sh kill-leader scheduler|controller-manager [--process]
#                        stop the replica holding the role's Lease (POST
#                        /replicas/{i}/stop on its process's port: it
#                        releases the lease), or with --process SIGKILL its
#                        whole process (every replica in it, and nothing
#                        released: a standby in another process takes over
#                        once the lease expires); then wait for the new
#                        holder and print how long the failover took
#   hack/ha.sh freeze-leader scheduler|controller-manager
#                        freeze the leading replica as if SIGSTOPped: it
#                        stops renewing and acting; a standby takes over
#                        once the lease expires
#   hack/ha.sh unfreeze scheduler|controller-manager
#                        unfreeze every replica of the role; a replica that
#                        lost its lease meanwhile stands by
#   hack/ha.sh down      stop every process (kubelet, controller manager,
#                        scheduler, API servers); the database is kept
#
# Leases are short (4s, renew deadline 3s, retry 500ms), so failover takes
# seconds. Everything lives in $HA_DIR (default .minik8s-ha): logs in
# logs/*.log, "role pid port" lines in pids, kubeconfig-a and kubeconfig-b.
#
# If up fails, it stops every process it started before exiting.
#
# Settings (environment): MINIK8S_BIN (./minik8s; make build), HA_DIR,
# HA_POSTGRES (postgres://postgres:postgres@127.0.0.1:5432; the database
# HA_DB, default minik8s_ha, is dropped and created by up), HA_STORE (use
# this postgres:// URL as is instead: an empty database you made),
# HA_REDIS (redis://127.0.0.1:6379/0), HA_PORT_A and HA_PORT_B (6443,
# 6444), HA_SCHEDULER_PORT (10259), HA_SCHEDULER_PROCS (1) and
# HA_SCHEDULER_REPLICAS (3 per process; process k listens on
# HA_SCHEDULER_PORT+k), HA_CM_PORT (10257), HA_CM_REPLICAS (2),
# HA_NODES (5), HA_KUBELET_PORT (10250; 0: any free port),
# HA_LOG_FORMAT (console), HA_WAIT (seconds kill-leader waits, 30).
# A default port that is taken (another Kubernetes on this machine uses
# 6443, 10250, 10257 and 10259) is replaced by the next free one, and up
# says so; a port set in the environment is used as is, or up fails.
set -euo pipefail

BIN=${MINIK8S_BIN:-./minik8s}
DIR=${HA_DIR:-.minik8s-ha}
PG=${HA_POSTGRES:-postgres://postgres:postgres@127.0.0.1:5432}
DB=${HA_DB:-minik8s_ha}
STORE=${HA_STORE:-}
REDIS=${HA_REDIS:-redis://127.0.0.1:6379/0}
PORT_A=${HA_PORT_A:-}
PORT_B=${HA_PORT_B:-}
SCHED_PORT=${HA_SCHEDULER_PORT:-}
SCHED_PROCS=${HA_SCHEDULER_PROCS:-1}
SCHED_REPLICAS=${HA_SCHEDULER_REPLICAS:-3}
CM_PORT=${HA_CM_PORT:-}
CM_REPLICAS=${HA_CM_REPLICAS:-2}
NODES=${HA_NODES:-5}
KUBELET_PORT=${HA_KUBELET_PORT:-}
LOG_FORMAT=${HA_LOG_FORMAT:-console}
WAIT=${HA_WAIT:-30}
ELECTION=(--leader-elect-lease-duration 4s --leader-elect-renew-deadline 3s --leader-elect-retry-period 500ms)

PIDS=$DIR/pids
LOGS=$DIR/logs

die() { echo "ha.sh: $*" >&2; exit 1; }
say() { echo "ha.sh: $*"; }
now() { date +%s.%N; }
since() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.2fs", b - a }'; }

kc() { kubectl --kubeconfig "$DIR/kubeconfig-a" "$@"; }

# lease_of ROLE: the role's Lease name in kube-system.
lease_of() {
  case $1 in
    scheduler) echo kube-scheduler ;;
    controller-manager) echo kube-controller-manager ;;
    *) die "unknown role '$1': want scheduler or controller-manager" ;;
  esac
}

holder() { kc get lease -n kube-system "$(lease_of "$1")" -o 'jsonpath={.spec.holderIdentity}' 2>/dev/null || true; }

alive() { kill -0 "$1" 2>/dev/null; }

# ctl ARGS...: curl a role's port (HTTPS with the cluster's CA) as the
# admin, with the kubeconfig's token (kept out of argv, so out of ps).
ADMIN_TOKEN=
ctl() {
  [ -n "$ADMIN_TOKEN" ] || ADMIN_TOKEN=$(kubectl config view --raw --kubeconfig "$DIR/kubeconfig-a" -o 'jsonpath={.users[0].user.token}')
  curl -fsS --cacert "$DIR/ca.crt" -H @<(printf 'Authorization: Bearer %s\n' "$ADMIN_TOKEN") "$@"
}

check_services() {
  command -v kubectl >/dev/null || die "kubectl not found on PATH"
  command -v curl >/dev/null || die "curl not found on PATH"
  [ -x "$BIN" ] || die "$BIN not found: run make build (or set MINIK8S_BIN)"
  local hostport=${REDIS#*://}
  hostport=${hostport#*@}
  hostport=${hostport%%/*}
  local rhost=${hostport%:*} rport=${hostport##*:} reply
  [ "$rport" = "$hostport" ] && rport=6379
  # Any reply (+PONG, or -NOAUTH) shows a Redis is there.
  reply=$(timeout 3 bash -c 'exec 3<>"/dev/tcp/$0/$1" && printf "PING\r\n" >&3 && read -r l <&3 && echo "$l"' "$rhost" "$rport" 2>/dev/null || true)
  [[ $reply =~ ^[+-] ]] \
    || die "Redis is not answering at $rhost:$rport ($REDIS): start it with bash hack/services.sh, or set HA_REDIS"
  if [ -z "$STORE" ]; then
    command -v psql >/dev/null || die "psql not found: install postgresql-client, or set HA_STORE to an empty database"
    psql "$PG/postgres" -qAtc 'SELECT 1' >/dev/null 2>&1 \
      || die "Postgres is not answering at $PG: start it with bash hack/services.sh, or set HA_POSTGRES"
  fi
}

# port_taken PORT: whether something listens on 127.0.0.1:PORT.
port_taken() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# TAKEN: the ports pick_port handed out in this run, not yet listened on.
TAKEN=" "

# pick_port WHAT SET DEFAULT: set PICKED to the port for WHAT. A port SET
# in the environment is used as is, and must be free (0: any free port,
# for the kubelet). Otherwise DEFAULT, or, when that is taken, the next
# free port above it, with a line saying so.
pick_port() {
  local what=$1 set=$2 def=$3 p
  if [ -n "$set" ]; then
    if [ "$set" != 0 ] && port_taken "$set"; then
      die "$what: port $set is taken (set in the environment): free it or choose another"
    fi
    PICKED=$set
  else
    PICKED=
    for p in $(seq "$def" $((def + 200))); do
      [[ $TAKEN == *" $p "* ]] && continue
      port_taken "$p" && continue
      PICKED=$p
      break
    done
    [ -n "$PICKED" ] || die "$what: no free port in $def-$((def + 200))"
    [ "$PICKED" = "$def" ] || say "$what: port $def is taken, using $PICKED"
  fi
  TAKEN+="$PICKED "
}

# pick_ports: choose every port up needs, before anything starts.
pick_ports() {
  TAKEN=" "
  pick_port "API server A" "$PORT_A" 6443 && PORT_A=$PICKED
  pick_port "API server B" "$PORT_B" 6444 && PORT_B=$PICKED
  local k set
  SCHED_PORTS=()
  for k in $(seq 0 $((SCHED_PROCS - 1))); do
    set=
    [ -n "$SCHED_PORT" ] && set=$((SCHED_PORT + k))
    pick_port "scheduler process $k" "$set" $((10259 + k)) && SCHED_PORTS+=("$PICKED")
  done
  pick_port "controller manager" "$CM_PORT" 10257 && CM_PORT=$PICKED
  pick_port "kubelet" "$KUBELET_PORT" 10250 && KUBELET_PORT=$PICKED
}

# stop_started: stop whatever a failed up started (the EXIT trap of up).
stop_started() {
  [ "${UP_DONE:-}" = 1 ] && return
  [ -s "$PIDS" ] || return
  echo "ha.sh: up failed: stopping what it started" >&2
  down >&2 || true
}

# start NAME PORT ARGS...: run minik8s ARGS in the background, logging to
# logs/NAME.log, and record "NAME pid PORT".
start() {
  local name=$1 port=$2
  shift 2
  "$BIN" --data-dir "$DIR" --log-format "$LOG_FORMAT" "$@" >"$LOGS/$name.log" 2>&1 </dev/null &
  echo "$name $! $port" >>"$PIDS"
}

# start_apiserver NAME PORT: start an API server and wait until it is
# ready, then keep the kubeconfig it wrote as kubeconfig-NAME.
start_apiserver() {
  local name=$1 port=$2 t0
  t0=$(now)
  rm -f "$DIR/kubeconfig"
  # The store URL (with its password) goes in the environment, not in ps.
  MINIK8S_STORE=$STORE start "apiserver-$name" "$port" apiserver --listen "127.0.0.1:$port" --redis "$REDIS"
  local pid
  pid=$(awk -v n="apiserver-$name" '$1 == n { p = $2 } END { print p }' "$PIDS")
  for _ in $(seq 300); do
    alive "$pid" || die "API server $name exited: see $LOGS/apiserver-$name.log"$'\n'"$(tail -5 "$LOGS/apiserver-$name.log")"
    if [ -f "$DIR/kubeconfig" ] && grep -q ":$port\$" "$DIR/kubeconfig" \
      && [ "$(kubectl --kubeconfig "$DIR/kubeconfig" get --raw /readyz 2>/dev/null)" = ok ]; then
      cp "$DIR/kubeconfig" "$DIR/kubeconfig-$name"
      say "API server $name ready on https://127.0.0.1:$port in $(since "$t0") (pid $pid)"
      return
    fi
    sleep 0.1
  done
  die "API server $name not ready after 30s: see $LOGS/apiserver-$name.log"
}

up() {
  if [ -f "$PIDS" ]; then
    while read -r _ pid _; do
      alive "$pid" && die "already up (pid $pid in $PIDS): run hack/ha.sh down first"
    done <"$PIDS"
  fi
  check_services
  pick_ports
  (umask 077 && mkdir -p "$LOGS") # the data dir is for its owner only
  : >"$PIDS"
  trap stop_started EXIT
  trap 'exit 130' INT TERM
  if [ -z "$STORE" ]; then
    PGOPTIONS="-c client_min_messages=warning" psql "$PG/postgres" -qc "DROP DATABASE IF EXISTS $DB WITH (FORCE)" >/dev/null
    psql "$PG/postgres" -qc "CREATE DATABASE $DB" >/dev/null
    STORE="$PG/$DB?sslmode=disable"
    say "fresh database $DB"
  fi
  local t0
  t0=$(now)
  start_apiserver a "$PORT_A"
  start_apiserver b "$PORT_B"
  for k in $(seq 0 $((SCHED_PROCS - 1))); do
    start "scheduler-$k" "${SCHED_PORTS[$k]}" scheduler --kubeconfig "$DIR/kubeconfig-a" \
      --replicas "$SCHED_REPLICAS" --port "${SCHED_PORTS[$k]}" "${ELECTION[@]}"
  done
  start controller-manager "$CM_PORT" controller-manager --kubeconfig "$DIR/kubeconfig-b" \
    --replicas "$CM_REPLICAS" --port "$CM_PORT" "${ELECTION[@]}"
  start kubelet "$KUBELET_PORT" kubelet --kubeconfig "$DIR/kubeconfig-a" \
    --sim-nodes "$NODES" --runtime sim --node-name ha-node --port "$KUBELET_PORT"

  local ready=0 last=-1
  for _ in $(seq 600); do
    while read -r name pid _; do
      alive "$pid" || die "$name exited: see $LOGS/$name.log"$'\n'"$(tail -5 "$LOGS/$name.log")"
    done <"$PIDS"
    ready=$(kc get nodes --no-headers 2>/dev/null | awk '$2 == "Ready"' | wc -l)
    [ "$ready" != "$last" ] && say "nodes Ready: $ready/$NODES" && last=$ready
    if [ "$ready" -ge "$NODES" ] && [ -n "$(holder scheduler)" ] && [ -n "$(holder controller-manager)" ]; then
      UP_DONE=1
      say "up in $(since "$t0"); logs in $LOGS, pids in $PIDS"
      kc get leases -n kube-system
      echo
      echo "export KUBECONFIG=$(cd "$DIR" && pwd)/kubeconfig-a   # or kubeconfig-b for API server B"
      return
    fi
    sleep 0.1
  done
  die "not ready after 60s ($ready/$NODES nodes Ready): see $LOGS"
}

# replica_of ROLE IDENTITY: "pid port index" of the process and replica
# that IDENTITY (<host>_<pid>_<i>, or _cm<i> for the controller manager)
# names.
replica_of() {
  local role=$1 id=$2
  local idx=${id##*_} rest=${id%_*}
  local pid=${rest##*_}
  idx=${idx#cm}
  local port
  port=$(awk -v r="$role" -v p="$pid" '$2 == p && index($1, r) == 1 { print $3 }' "$PIDS")
  [ -n "$port" ] || die "holder $id: no $role process with pid $pid in $PIDS"
  echo "$pid $port $idx"
}

# wait_takeover ROLE OLD T0: wait for a holder other than OLD.
wait_takeover() {
  local role=$1 old=$2 t0=$3 h
  for _ in $(seq $((WAIT * 20))); do
    h=$(holder "$role")
    if [ -n "$h" ] && [ "$h" != "$old" ]; then
      say "$role: $h took over after $(since "$t0")"
      return
    fi
    sleep 0.05
  done
  die "$role: no new holder after ${WAIT}s"
}

act_leader() {
  local action=$1 role=${2:-} mode=${3:-}
  [ -n "$role" ] || die "usage: hack/ha.sh $action-leader scheduler|controller-manager"
  local old info pid port idx
  old=$(holder "$role")
  [ -n "$old" ] || die "$role: the Lease kube-system/$(lease_of "$role") has no holder"
  info=$(replica_of "$role" "$old")
  read -r pid port idx <<<"$info"
  ctl "https://127.0.0.1:$port/healthz" >/dev/null # reads the token before the clock starts
  local t0
  t0=$(now)
  case $action/$mode in
    kill/--process)
      kill -KILL "$pid"
      say "$role: SIGKILLed process $pid (every replica in it; leader was $old)"
      local others=0 p
      for p in $(awk -v r="$role" -v k="$pid" 'index($1, r) == 1 && $2 != k { print $2 }' "$PIDS"); do
        alive "$p" && others=$((others + 1))
      done
      if [ "$others" = 0 ]; then
        say "$role: no other $role process runs, so nobody takes over (start several with HA_SCHEDULER_PROCS)"
        return
      fi
      ;;
    kill/)
      ctl -X POST "https://127.0.0.1:$port/replicas/$idx/stop" >/dev/null
      say "$role: stopped replica $idx of process $pid ($old); it released the lease"
      ;;
    freeze/)
      ctl -X POST "https://127.0.0.1:$port/replicas/$idx/freeze" >/dev/null
      say "$role: froze replica $idx of process $pid ($old); the lease expires in up to 4s"
      ;;
    *) die "usage: hack/ha.sh kill-leader ROLE [--process] | freeze-leader ROLE" ;;
  esac
  wait_takeover "$role" "$old" "$t0"
}

# each_port ROLE: the ports of the role's processes.
each_port() { awk -v r="$1" 'index($1, r) == 1 { print $3 }' "$PIDS"; }

unfreeze() {
  local role=${1:-}
  lease_of "$role" >/dev/null
  local port n
  for port in $(each_port "$role"); do
    n=$(ctl "https://127.0.0.1:$port/replicas" | grep -o '"index":' | wc -l)
    for i in $(seq 0 $((n - 1))); do
      ctl -X POST "https://127.0.0.1:$port/replicas/$i/unfreeze" >/dev/null
    done
    say "$role: unfroze $n replica(s) on port $port"
  done
}

# replicas_table ROLE PORT: format GET /replicas (a JSON array of flat
# objects, on stdin) as rows of the table replicas prints.
replicas_table() {
  awk -v role="$1" -v port="$2" '
    function field(k,   m) {
      if (match($0, "\"" k "\":(\"[^\"]*\"|[^,}]*)")) {
        m = substr($0, RSTART + length(k) + 3, RLENGTH - length(k) - 3)
        gsub(/"/, "", m)
        return m
      }
      return ""
    }
    BEGIN { RS = "}" }
    /"index":/ {
      state = field("leading") == "true" ? "leading" : "standby"
      if (field("elected") == "false") state = "not elected"
      if (field("frozen") == "true") state = state ",frozen"
      if (field("stopped") == "true") state = "stopped"
      holder = field("holder"); if (holder == "") holder = "-"
      printf "%-19s %-6s %-3s %-28s %-16s %-6s %-12s %s\n", role, port, field("index"), field("identity"), state, field("fence"), field("transitions"), holder
    }'
}

replicas() {
  local role port json
  printf "%-19s %-6s %-3s %-28s %-16s %-6s %-12s %s\n" ROLE PORT "#" IDENTITY STATE FENCE TRANSITIONS "LEASE HOLDER"
  for role in scheduler controller-manager; do
    for port in $(each_port "$role"); do
      if json=$(ctl "https://127.0.0.1:$port/replicas" 2>/dev/null); then
        replicas_table "$role" "$port" <<<"$json"
      else
        printf "%-19s %-6s (not answering)\n" "$role" "$port"
      fi
    done
  done
}

down() {
  [ -f "$PIDS" ] || { say "nothing to stop ($PIDS not found)"; return; }
  local role name pid
  # Node agents first, API servers last, as ./minik8s all stops.
  for role in kubelet controller-manager scheduler apiserver; do
    while read -r name pid _; do
      [[ $name == "$role"* ]] || continue
      alive "$pid" || continue
      kill -TERM "$pid"
      for _ in $(seq 100); do alive "$pid" || break; sleep 0.1; done
      alive "$pid" && kill -KILL "$pid" && say "$name (pid $pid) did not stop in 10s: SIGKILLed"
      say "stopped $name (pid $pid)"
    done <"$PIDS"
  done
  rm -f "$PIDS"
}

case ${1:-} in
  up) up ;;
  leaders) kc get leases -n kube-system ;;
  replicas) replicas ;;
  kill-leader) act_leader kill "${2:-}" "${3:-}" ;;
  freeze-leader) act_leader freeze "${2:-}" "${3:-}" ;;
  unfreeze) unfreeze "${2:-}" ;;
  down) down ;;
  *)
    sed -n '2,/^set -euo/p' "$0" | sed '$d' | sed 's/^# \{0,1\}//'
    exit 2
    ;;
esac
