#!/bin/sh
# deploy/docker/runtime-packages.sh BINARY... — prints the Debian packages that hold the shared
# libraries BINARY... load, one name a line, sorted. The image's runtime stage installs exactly
# these, so it has every library and nothing of the build (compilers, headers). Fails if a library
# is missing or belongs to no package.
set -eu

[ "$#" -gt 0 ] || {
  echo "usage: $0 BINARY..." >&2
  exit 2
}

deps=$(ldd "$@") || {
  echo "runtime-packages.sh: ldd failed for: $*" >&2
  exit 1
}
if printf '%s\n' "$deps" | grep -q 'not found'; then
  printf '%s\n' "$deps" | grep 'not found' >&2
  exit 1
fi
# "libx.so.1 => /lib/x86_64-linux-gnu/libx.so.1 (0x...)" and "/lib64/ld-linux-x86-64.so.2 (0x...)"
libs=$(printf '%s\n' "$deps" |
  awk '$2 == "=>" && $3 ~ /^\// { print $3 } $1 ~ /^\// && $2 ~ /^\(/ { print $1 }' | sort -u)

# Debian 12 merges /lib into /usr/lib, and dpkg knows each file only under the path its package
# ships: ask for every spelling of each library at once (one dpkg-query is slow enough).
candidates=$(for lib in $libs; do
  real=$(readlink -f "$lib")
  for path in "$lib" "$real"; do
    printf '%s\n%s\n' "$path" "/usr$path"
    case $path in /usr/*) printf '%s\n' "${path#/usr}" ;; esac
  done
done | sort -u)
# shellcheck disable=SC2086 # one argument per candidate path (no spaces in library paths)
owners=$(dpkg-query -S $candidates 2>/dev/null || true)

packages=""
for lib in $libs; do
  real=$(readlink -f "$lib")
  # "libc6:amd64: /lib/x86_64-linux-gnu/libc.so.6" (several owners are comma-separated)
  package=$(printf '%s\n' "$owners" | awk -v a="$lib" -v b="$real" '
    { path = $NF; sub(/^\/usr/, "", path); x = a; sub(/^\/usr/, "", x); y = b; sub(/^\/usr/, "", y)
      if (path == x || path == y) { split($1, p, /[:,]/); print p[1]; exit } }')
  if [ -z "$package" ]; then
    echo "runtime-packages.sh: no Debian package holds $lib" >&2
    exit 1
  fi
  packages="$packages$package
"
done
printf '%s' "$packages" | sort -u
