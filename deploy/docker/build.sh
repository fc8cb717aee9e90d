#!/usr/bin/env bash
# deploy/docker/build.sh OUT — the image's build stage (deploy/docker/Dockerfile), run from the
# repository root: builds every service of scripts/services.txt and the tools in Release, copies
# the binaries to OUT/bin and writes OUT/runtime-packages.txt (the Debian packages the runtime
# stage installs) and OUT/services.txt (one name a line: the runtime stage makes a key directory
# for each). Adding a service to scripts/services.txt adds it to the image.
set -euo pipefail

out=${1:?usage: deploy/docker/build.sh OUT}
build=${PLAZA_IMAGE_BUILD_DIR:-/tmp/plaza-build}
tools=(plaza plaza-keygen plaza-healthcheck plaza-bench)

services=()
while read -r name _; do
  [[ -z $name || $name == \#* ]] && continue
  services+=("$name")
done <scripts/services.txt
((${#services[@]})) || { echo "build.sh: no service in scripts/services.txt" >&2; exit 1; }

targets=("${services[@]/#/plaza-}" "${tools[@]}")
cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release -DCMAKE_UNITY_BUILD=ON \
  -DCMAKE_UNITY_BUILD_BATCH_SIZE=8
cmake --build "$build" --target "${targets[@]}"

mkdir -p "$out/bin"
for name in "${services[@]}"; do
  install -m 755 "$build/services/$name/plaza-$name" "$out/bin/"
done
install -m 755 "$build/tools/cli/plaza" "$build/tools/keygen/plaza-keygen" \
  "$build/tools/healthcheck/plaza-healthcheck" "$build/tools/bench/plaza-bench" "$out/bin/"
strip --strip-unneeded "$out"/bin/*
"$(dirname "${BASH_SOURCE[0]}")/runtime-packages.sh" "$out"/bin/* >"$out/runtime-packages.txt"
printf '%s\n' "${services[@]}" >"$out/services.txt"
echo "image binaries: $(cd "$out/bin" && echo *)"
echo "runtime packages: $(tr '\n' ' ' <"$out/runtime-packages.txt")"
