#!/usr/bin/env bash
# Makes sure the services the tests use are running on this machine:
# Redis on 127.0.0.1:6379, Postgres on 127.0.0.1:5432 with a password for
# the postgres role and a database minik8s_test, and a Docker engine.
# Idempotent; installs Redis, Postgres and Chromium (for the dashboard's
# browser tests) with apt when they are missing (needs root).
set -euo pipefail

log() { echo "services: $*"; }

# Redis.
if ! command -v redis-server >/dev/null 2>&1; then
  log "installing redis-server"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq redis-server >/dev/null
fi
if ! redis-cli -h 127.0.0.1 -p 6379 ping >/dev/null 2>&1; then
  log "starting redis on 127.0.0.1:6379"
  redis-server --bind 127.0.0.1 --port 6379 --daemonize yes --save '' --appendonly no >/dev/null
  for _ in $(seq 50); do redis-cli -h 127.0.0.1 -p 6379 ping >/dev/null 2>&1 && break; sleep 0.1; done
fi
redis-cli -h 127.0.0.1 -p 6379 ping >/dev/null || { log "redis did not start"; exit 1; }

# Postgres (installed, not started, on this machine kind).
if ! command -v pg_lsclusters >/dev/null 2>&1; then
  log "installing postgresql"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq postgresql >/dev/null
fi
read -r pgver pgcluster pgstatus < <(pg_lsclusters -h | awk 'NR==1 {print $1, $2, $4}')
if [ "$pgstatus" != "online" ]; then
  log "starting postgres $pgver/$pgcluster"
  pg_ctlcluster "$pgver" "$pgcluster" start
fi
for _ in $(seq 50); do pg_isready -q -h 127.0.0.1 && break; sleep 0.2; done
su postgres -c "psql -q -c \"ALTER USER postgres PASSWORD 'postgres';\"" >/dev/null
su postgres -c "psql -tAc \"SELECT 1 FROM pg_database WHERE datname='minik8s_test'\"" | grep -q 1 \
  || su postgres -c "psql -q -c 'CREATE DATABASE minik8s_test;'"
# Many test databases and several API servers at once need connections.
su postgres -c "psql -tAc 'SHOW max_connections'" | grep -qx 500 || {
  su postgres -c "psql -q -c 'ALTER SYSTEM SET max_connections = 500;'"
  pg_ctlcluster "$pgver" "$pgcluster" restart
  for _ in $(seq 50); do pg_isready -q -h 127.0.0.1 && break; sleep 0.2; done
}

# busybox-static: a static /bin/busybox the Docker tests copy into images
# FROM scratch, for a shell and tar inside pods (kubectl exec, kubectl cp).
if [ ! -x /bin/busybox ]; then
  log "installing busybox-static"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq busybox-static >/dev/null
fi

# Docker (this machine kind starts the engine before the session).
if ! docker info >/dev/null 2>&1; then
  log "docker engine is not answering; the Docker runtime tests will fail"
  exit 1
fi
# Chromium, for the dashboard's browser tests (e2e/dashboard).
if ! command -v chromium >/dev/null 2>&1; then
  log "installing chromium"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq chromium >/dev/null
fi
log "redis, postgres, docker and chromium are ready"
