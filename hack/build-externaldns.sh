#!/usr/bin/env bash
# Builds the real ExternalDNS (with its rfc2136 provider) from the Go module proxy, pinned, into its
# own cache folder, and prints (last line) the binary's path. A second run finds it and returns at
# once. A cold build takes ~7 min on 2 cores and yields a ~205 MB binary: it is kept apart from
# hack/build-binaries.sh (its own lock) so a test bed never waits behind it.
#   v0.22.0's dependencies are not all served by the proxy and v0.23.0 needs Go 1.27, hence v0.20.0.
#
#   EXTERNAL_DNS=$(hack/build-externaldns.sh | tail -n1)
set -euo pipefail

EXTERNALDNS_VERSION="${EXTERNALDNS_VERSION:-v0.20.0}"
CACHE_ROOT="${MERIDIAN_CACHE:-$HOME/.cache/meridian}"
OUT_DIR="$CACHE_ROOT/bin/external-dns-$EXTERNALDNS_VERSION"
mkdir -p "$OUT_DIR"
# One build at a time per cache: a second caller waits, then finds the binary built.
exec 9>"$CACHE_ROOT/build-externaldns.lock"
flock 9
if [ ! -x "$OUT_DIR/external-dns" ]; then
  printf '[build-externaldns] external-dns %s: building (a cold build takes ~7 min on 2 cores)\n' "$EXTERNALDNS_VERSION" >&2
  # go install writes into GOBIN directly; build into a scratch GOBIN and move, so an interrupted
  # build never leaves a half-written binary where the check above would take it as built.
  tmp="$OUT_DIR/.tmp"
  rm -rf "$tmp" && mkdir -p "$tmp"
  CGO_ENABLED=0 GOFLAGS=-buildvcs=false GOBIN="$tmp" \
    go install -ldflags "-s -w" "sigs.k8s.io/external-dns@$EXTERNALDNS_VERSION"
  mv "$tmp/external-dns" "$OUT_DIR/external-dns"
  rm -rf "$tmp"
fi
echo "$OUT_DIR/external-dns"
