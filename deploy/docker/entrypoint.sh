#!/bin/sh
# The image's ENTRYPOINT (/usr/local/bin/plaza-entrypoint): `plaza-entrypoint PROGRAM [ARG...]`.
#
#   identity, messaging, gateway, ...   runs plaza-<service> (its keys: `<service> --help`)
#   keygen | healthcheck | bench        runs plaza-keygen, plaza-healthcheck, plaza-bench
#   plaza | cli                         runs the `plaza` command-line client
#   init-keys [DIR]                     compose's one-shot `keys`: a token signing key pair in
#                                       DIR/signing/signing_key and DIR/public/public_keys, and 48
#                                       random bytes (base64) in DIR/<path> for each <path> of
#                                       PLAZA_RANDOM_KEYS ("groups/invite_signing_key ..."); only
#                                       what is missing (DIR: /var/lib/plaza/keys)
#
# Before a program starts, for every PLAZA_<KEY>_FILE=PATH in the environment PLAZA_<KEY> is set
# to the contents of PATH (secrets mounted as files), and, when PLAZA_NODE_ID is unset but
# PLAZA_NODE_ID_BASE is set, PLAZA_NODE_ID becomes PLAZA_NODE_ID_BASE + the ordinal that ends the
# host name (a StatefulSet pod "plaza-messaging-3" has ordinal 3): every replica then mints ids
# under its own node id.
set -eu

die() {
  echo "plaza-entrypoint: $*" >&2
  exit 64
}

usage() {
  sed -n '2,17s/^# \{0,1\}//p' "$0"
  printf '\nprograms here:'
  for bin in "$(dirname "$0")"/plaza-* "$(dirname "$0")"/plaza; do
    [ -x "$bin" ] || continue
    name=${bin##*/}
    [ "$name" = plaza-entrypoint ] || printf ' %s' "${name#plaza-}"
  done
  printf '\n'
}

# Writes stdin to FILE (mode MODE) through a temporary file, so a crash leaves no half key.
write_key() {
  file=$1
  mode=$2
  umask 077
  cat >"$file.tmp"
  [ -s "$file.tmp" ] || die "no key to write to $file"
  chmod "$mode" "$file.tmp"
  mv "$file.tmp" "$file"
}

init_keys() {
  dir=${1:-/var/lib/plaza/keys}
  if [ -s "$dir/signing/signing_key" ] && [ -s "$dir/public/public_keys" ]; then
    echo "plaza-entrypoint: the token key pair in $dir exists; keeping it"
  else
    keys=$(plaza-keygen) || die "plaza-keygen failed"
    printf '%s\n' "$keys" | sed -n 's/^PLAZA_TOKEN_PUBLIC_KEYS=//p' | write_key "$dir/public/public_keys" 644
    printf '%s\n' "$keys" | sed -n 's/^PLAZA_TOKEN_SIGNING_KEY=//p' | write_key "$dir/signing/signing_key" 600
    echo "plaza-entrypoint: wrote a new token key pair to $dir/signing and $dir/public"
  fi
  for path in ${PLAZA_RANDOM_KEYS:-}; do
    case $path in
      /* | *..* | *[!A-Za-z0-9_./-]*) die "PLAZA_RANDOM_KEYS: bad path '$path'" ;;
    esac
    if [ -s "$dir/$path" ]; then
      echo "plaza-entrypoint: $dir/$path exists; keeping it"
    else
      head -c 48 /dev/urandom | base64 | tr -d '\n' | write_key "$dir/$path" 600
      echo "plaza-entrypoint: wrote a new random key to $dir/$path"
    fi
  done
}

[ "$#" -gt 0 ] || set -- --help
program=$1
shift
case $program in
  -h | --help | help)
    usage
    exit 0
    ;;
  init-keys)
    init_keys "$@"
    exit 0
    ;;
  plaza | cli) bin=plaza ;;
  *[!a-z0-9_-]*) die "bad program name '$program' (see --help)" ;;
  *) bin=plaza-$program ;;
esac
command -v "$bin" >/dev/null 2>&1 || die "no program '$program' in this image (see --help)"

# PLAZA_<KEY>_FILE=PATH -> PLAZA_<KEY>=<contents of PATH, without trailing newlines>
for name in $(env | sed -n 's/^\(PLAZA_[A-Z0-9_]*\)_FILE=.*/\1/p'); do
  path=$(printenv "${name}_FILE")
  [ -r "$path" ] || die "${name}_FILE: cannot read '$path'"
  value=$(cat "$path")
  export "$name=$value"
  unset "${name}_FILE"
done

if [ -z "${PLAZA_NODE_ID:-}" ] && [ -n "${PLAZA_NODE_ID_BASE:-}" ]; then
  # Docker and Kubernetes put the container's host name (the pod name) in HOSTNAME.
  # shellcheck disable=SC3028
  host=${HOSTNAME:-$(cat /proc/sys/kernel/hostname)}
  ordinal=${host##*-}
  case $ordinal in
    '' | *[!0-9]*) die "PLAZA_NODE_ID_BASE needs a host name ending in -<ordinal> (a StatefulSet pod), not '$host'" ;;
  esac
  case $PLAZA_NODE_ID_BASE in
    '' | *[!0-9]*) die "PLAZA_NODE_ID_BASE must be a number, not '$PLAZA_NODE_ID_BASE'" ;;
  esac
  # Ordinals are decimal even with a leading zero; ids stay inside the 100 reserved per service.
  ordinal=$(printf '%s' "$ordinal" | sed 's/^0*\(.\)/\1/')
  [ "$ordinal" -lt 100 ] || die "ordinal $ordinal: at most 100 replicas per service (node ids $PLAZA_NODE_ID_BASE..+99)"
  PLAZA_NODE_ID=$((PLAZA_NODE_ID_BASE + ordinal))
  export PLAZA_NODE_ID
fi
unset PLAZA_NODE_ID_BASE

exec "$bin" "$@"
