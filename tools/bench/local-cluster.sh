#!/usr/bin/env bash
# tools/bench/local-cluster.sh — a private Plaza cluster for plaza-bench, beside any other one.
#
#   tools/bench/local-cluster.sh up       start PostgreSQL, Redis, identity, messaging, groups, gateway
#   tools/bench/local-cluster.sh down     stop what `up` started (by recorded PID), data kept
#   tools/bench/local-cluster.sh status   each component: running/stopped, address, pid
#   tools/bench/local-cluster.sh flags [group]   plaza-bench chat's (group's) flags for this cluster
#
# It differs from scripts/cluster in what a benchmark needs: its own ports (so it runs next to a
# development cluster), PostgreSQL with fsync off and pg_stat_statements loaded (plaza-bench group
# reads it), the gateway's per-IP rate limits raised (every bench call comes from one address), and
# services started with a clean environment (nothing exported in the shell leaks into them).
# Nothing is built: it runs the binaries of an existing build directory.
#
# Settings (environment):
#   PLAZA_BENCH_BUILD        build directory with the binaries     (default build/release)
#   PLAZA_BENCH_CLUSTER_DIR  state: data, logs, pids, keys         (default .plaza/bench-cluster)
#   PLAZA_BENCH_PG_PORT      PostgreSQL                            (default 5522)
#   PLAZA_BENCH_REDIS_PORT   Redis                                 (default 6422)
#   PLAZA_BENCH_PORT         identity; messaging, groups and the gateway take the next three
#                            (default 7600: 7600..7603; metrics and /healthz on port + 1000)
#   PLAZA_BENCH_PG_FSYNC     on|off                                (default off)
#   PLAZA_RATE_LIMITS        the gateway's rate_limits (default: its own with every per-IP limit
#                            raised to 100000/s, per-user limits kept)
#   PLAZA_BENCH_LOG_LEVEL    the services' log level               (default info)
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd -P)
cd "$ROOT"
# shellcheck source=scripts/lib/infra.sh
source "$ROOT/scripts/lib/infra.sh"

BUILD=${PLAZA_BENCH_BUILD:-$ROOT/build/release}
STATE=${PLAZA_BENCH_CLUSTER_DIR:-$ROOT/.plaza/bench-cluster}
PG_PORT=${PLAZA_BENCH_PG_PORT:-5522}
REDIS_PORT=${PLAZA_BENCH_REDIS_PORT:-6422}
BASE_PORT=${PLAZA_BENCH_PORT:-7600}
PG_FSYNC=${PLAZA_BENCH_PG_FSYNC:-off}
LOG_LEVEL=${PLAZA_BENCH_LOG_LEVEL:-info}
RATE_LIMITS=${PLAZA_RATE_LIMITS:-public:ip=5/20 gateway:user=2/10,ip=100000/100000 default:user=50/200,ip=100000/100000}
HEALTH_TIMEOUT=60

# In start order; the gateway last, as it routes to the others.
SERVICES=(identity messaging groups gateway)

usage() {
  sed -n '4,7s/^# \{0,1\}//p' "${BASH_SOURCE[0]}" >&2
  exit 2
}

[[ $BASE_PORT =~ ^[0-9]+$ && $PG_PORT =~ ^[0-9]+$ && $REDIS_PORT =~ ^[0-9]+$ ]] ||
  infra_die "ports must be numbers"
[[ $PG_FSYNC == on || $PG_FSYNC == off ]] || infra_die "PLAZA_BENCH_PG_FSYNC must be on or off"

service_port() {
  local i
  for i in "${!SERVICES[@]}"; do
    if [[ ${SERVICES[$i]} == "$1" ]]; then
      echo $((BASE_PORT + i))
      return 0
    fi
  done
  return 1
}
service_address() { echo "127.0.0.1:$(service_port "$1")"; }
service_pid() { infra_pidfile_pid "$STATE/run/$1.pid" "plaza-$1"; }
pg_url() { echo "postgresql://postgres@127.0.0.1:$PG_PORT/plaza"; }
redis_url() { echo "redis://127.0.0.1:$REDIS_PORT"; }
psql_plaza() { "$PLAZA_PG_BIN/psql" -X -q -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$PG_PORT" -U postgres "$@"; }

# PostgreSQL as a benchmark wants it: fsync as asked and pg_stat_statements loaded. Both live in
# postgresql.auto.conf (ALTER SYSTEM), which overrides scripts/lib/infra.sh's plaza.conf; loading a
# library needs a restart.
start_postgres() {
  local preload fsync
  infra_pg_start "$STATE" "$PG_PORT" cluster
  preload=$(psql_plaza -d postgres -tAc "SHOW shared_preload_libraries")
  fsync=$(psql_plaza -d postgres -tAc "SHOW fsync")
  if [[ ",${preload// /}," != *,pg_stat_statements,* || $fsync != "$PG_FSYNC" ]]; then
    psql_plaza -d postgres -c "ALTER SYSTEM SET shared_preload_libraries = 'pg_stat_statements'" \
      -c "ALTER SYSTEM SET fsync = $PG_FSYNC"
    infra_log "restarting PostgreSQL (pg_stat_statements, fsync=$PG_FSYNC)"
    infra_pg_stop "$STATE"
    infra_pg_start "$STATE" "$PG_PORT" cluster
  fi
  infra_pg_createdb "$STATE" plaza
  psql_plaza -d plaza -c "CREATE EXTENSION IF NOT EXISTS pg_stat_statements"
}

# Token keys from plaza-keygen and the groups' invitation key, made once (mode 600).
ensure_keys() {
  local keys=$STATE/keys.env keygen=$BUILD/tools/keygen/plaza-keygen out
  [[ -s $keys ]] && return 0
  [[ -x $keygen ]] || infra_die "no $keygen: build plaza-keygen in $BUILD first"
  out=$("$keygen" | grep -E '^PLAZA_TOKEN_(SIGNING_KEY|PUBLIC_KEYS)=.') || true
  [[ $(grep -c . <<<"$out") == 2 ]] ||
    infra_die "$keygen did not print PLAZA_TOKEN_SIGNING_KEY=... and PLAZA_TOKEN_PUBLIC_KEYS=..."
  (
    umask 077
    printf '%s\nPLAZA_INVITE_SIGNING_KEY=%s\n' "$out" "$(head -c 48 /dev/urandom | base64 -w0)" \
      >"$keys"
  )
  infra_log "generated keys in $keys"
}

# start_service NAME: starts NAME in the background with a clean environment unless it runs.
start_service() {
  local name=$1 port bin log pid line env_vars=()
  port=$(service_port "$name")
  bin=$BUILD/services/$name/plaza-$name
  log=$STATE/logs/$name.log
  if pid=$(service_pid "$name"); then
    infra_log "$name already running (pid $pid)"
    return 0
  fi
  [[ -x $bin ]] || infra_die "$bin is not built"
  if infra_port_in_use "$port" || infra_port_in_use "$((port + 1000))"; then
    infra_die "cannot start $name: port $port or $((port + 1000)) is in use by another process"
  fi
  env_vars=(
    PATH=/usr/local/bin:/usr/bin:/bin
    PLAZA_GRPC_HOST=127.0.0.1
    PLAZA_GRPC_PORT="$port"
    PLAZA_METRICS_PORT="$((port + 1000))"
    PLAZA_PG_URL="$(pg_url)"
    PLAZA_REDIS_URL="$(redis_url)"
    # Snowflake node ids must differ per service: the port's last three digits.
    PLAZA_NODE_ID="$((port % 1000))"
    PLAZA_LOG_LEVEL="$LOG_LEVEL"
    PLAZA_DEV_MODE=true
    # Loopback only, so the forwarded client IP cannot come from outside.
    PLAZA_TRUST_CLIENT_IP_HEADER=true
  )
  case $name in
    messaging)
      env_vars+=(PLAZA_IDENTITY_ADDRESS="$(service_address identity)"
        PLAZA_GROUPS_ADDRESS="$(service_address groups)")
      ;;
    groups)
      env_vars+=(PLAZA_IDENTITY_ADDRESS="$(service_address identity)"
        PLAZA_MESSAGING_ADDRESS="$(service_address messaging)")
      ;;
    gateway)
      env_vars+=(
        PLAZA_ROUTES="identity=$(service_address identity);echo=$(service_address identity);messaging=$(service_address messaging);groups=$(service_address groups)"
        PLAZA_RATE_LIMITS="$RATE_LIMITS"
      )
      ;;
  esac
  while IFS= read -r line; do
    case $line in
      PLAZA_TOKEN_PUBLIC_KEYS=*) env_vars+=("$line") ;;
      PLAZA_TOKEN_SIGNING_KEY=*) [[ $name != identity ]] || env_vars+=("$line") ;;
      PLAZA_INVITE_SIGNING_KEY=*) [[ $name != groups ]] || env_vars+=("$line") ;;
    esac
  done <"$STATE/keys.env"
  printf '==== %s: starting %s on port %s\n' "$(date -Is)" "$name" "$port" >>"$log"
  (exec setsid env -i "${env_vars[@]}" "$bin") >>"$log" 2>&1 </dev/null &
  echo "$!" >"$STATE/run/$name.pid"
  if ! infra_wait_http "http://127.0.0.1:$((port + 1000))/healthz" "$HEALTH_TIMEOUT" "$!" "plaza-$name"; then
    tail -n 30 "$log" >&2 || true
    infra_die "$name did not become healthy (log: $log)"
  fi
  infra_log "started $name (pid $!, gRPC 127.0.0.1:$port, log $log)"
}

cmd_up() {
  mkdir -p "$STATE/logs" "$STATE/run"
  start_postgres
  infra_redis_start "$STATE" "$REDIS_PORT" cluster
  ensure_keys
  local name
  for name in "${SERVICES[@]}"; do start_service "$name"; done
  infra_log "up; plaza-bench group flags: $(cmd_flags group)"
}

cmd_down() {
  local i name
  for ((i = ${#SERVICES[@]} - 1; i >= 0; i--)); do
    name=${SERVICES[$i]}
    if service_pid "$name" >/dev/null; then infra_log "stopping $name"; fi
    infra_stop_pidfile "$STATE/run/$name.pid" "plaza-$name" 30 TERM
  done
  if infra_redis_pid "$STATE" >/dev/null; then
    infra_log "stopping Redis"
    infra_redis_stop "$STATE"
  fi
  if infra_pg_pid "$STATE" >/dev/null; then
    infra_log "stopping PostgreSQL"
    infra_pg_stop "$STATE"
  fi
}

cmd_status() {
  local name pid all=0
  printf '%-10s %-8s %-16s %s\n' NAME STATE ADDRESS PID
  if pid=$(infra_pg_pid "$STATE"); then
    printf '%-10s %-8s %-16s %s\n' postgres running "127.0.0.1:$PG_PORT" "$pid"
  else
    printf '%-10s %-8s %-16s\n' postgres stopped "127.0.0.1:$PG_PORT"
    all=3
  fi
  if pid=$(infra_redis_pid "$STATE"); then
    printf '%-10s %-8s %-16s %s\n' redis running "127.0.0.1:$REDIS_PORT" "$pid"
  else
    printf '%-10s %-8s %-16s\n' redis stopped "127.0.0.1:$REDIS_PORT"
    all=3
  fi
  for name in "${SERVICES[@]}"; do
    if pid=$(service_pid "$name"); then
      printf '%-10s %-8s %-16s %s\n' "$name" running "$(service_address "$name")" "$pid"
    else
      printf '%-10s %-8s %-16s\n' "$name" stopped "$(service_address "$name")"
      all=3
    fi
  done
  return "$all"
}

# cmd_flags [group]: the flags of chat, or of group (which also takes --groups).
cmd_flags() {
  local flags
  flags="--gateway=$(service_address gateway) --identity=$(service_address identity)"
  flags+=" --messaging=$(service_address messaging) --pg-url=$(pg_url) --redis-url=$(redis_url)"
  [[ ${1:-} != group ]] || flags+=" --groups=$(service_address groups)"
  echo "$flags"
}

case ${1:-} in
  up) cmd_up ;;
  down) cmd_down ;;
  status) cmd_status ;;
  flags) cmd_flags "${2:-}" ;;
  *) usage ;;
esac
