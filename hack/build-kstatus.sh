#!/usr/bin/env bash
# Builds hack/kstatus (cli-utils' kstatus.Compute over objects on stdin, the library Flux's health
# checks use) from the Go module proxy into a per-version cache folder, and prints (last line) the
# binary's path. A second run finds it and returns at once; a change to hack/kstatus rebuilds it.
#
#   KSTATUS=$(hack/build-kstatus.sh | tail -n1); kubectl get regionalapps -o json | "$KSTATUS"
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
# The version in hack/kstatus/go.mod is the one built; the folder is named after it.
version="$(awk '$1 == "sigs.k8s.io/cli-utils" { print $2 }' "$root/hack/kstatus/go.mod")"
CACHE_ROOT="${MERIDIAN_CACHE:-$HOME/.cache/meridian}"
out="$CACHE_ROOT/bin/kstatus-$version"
# The sources' hash, so an edited main.go is never answered by an old binary.
stamp="$(cat "$root"/hack/kstatus/go.mod "$root"/hack/kstatus/go.sum "$root"/hack/kstatus/*.go | sha256sum | cut -c1-16)"
mkdir -p "$out"
if [ ! -x "$out/kstatus" ] || [ "$(cat "$out/stamp" 2>/dev/null)" != "$stamp" ]; then
  exec 9>"$CACHE_ROOT/build.lock" # one build at a time per cache, as hack/build-binaries.sh
  flock 9
  echo "[build-kstatus] building kstatus with sigs.k8s.io/cli-utils $version" >&2
  (cd "$root/hack/kstatus" && CGO_ENABLED=0 GOFLAGS=-buildvcs=false go build -ldflags "-s -w" -o "$out/kstatus.tmp" .)
  mv "$out/kstatus.tmp" "$out/kstatus"
  echo "$stamp" >"$out/stamp"
fi
echo "$out/kstatus"
