#!/usr/bin/env bash
# Installs the Debian packages the tests use, only when a program from them is missing:
# BIND 9 (the authoritative DNS server the rfc2136 provider is tested against, with nsupdate and
# dig), PostgreSQL 15 (primary and streaming replica for the postgresql promoter), Lua 5.1 (Argo
# CD runs health checks and actions in a Lua 5.1 VM; gitops/argocd's tests run them in one), and
# what the image test builds and runs the Dockerfile with (hack/image/): debootstrap for the
# stand-in base image, buildah, podman and runc (podman is set to runc; Debian's default, crun,
# is not needed).
set -euo pipefail
declare -A wanted=(
  [/usr/sbin/named]=bind9
  [/usr/bin/nsupdate]=bind9utils
  [/usr/bin/dig]=dnsutils
  [/usr/lib/postgresql/15/bin/pg_ctl]=postgresql-15
  [/usr/sbin/debootstrap]=debootstrap
  [/usr/bin/buildah]=buildah
  [/usr/bin/podman]=podman
  [/usr/sbin/runc]=runc
  [/usr/bin/lua5.1]=lua5.1
)
missing=()
for path in "${!wanted[@]}"; do [ -x "$path" ] || missing+=("${wanted[$path]}"); done
[ ${#missing[@]} -eq 0 ] && exit 0
echo "[packages] installing ${missing[*]}" >&2
sudo=""; [ "$(id -u)" -eq 0 ] || sudo="sudo"
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq >&2
$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2
