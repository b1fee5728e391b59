#!/usr/bin/env bash
# Builds the real Dockerfile with buildah, without pulling: the base image is the stand-in that
# hack/image/base-image.sh makes (or finds cached). Layers are cached in Meridian's container
# storage, so a rebuild after a source change only compiles and copies dist/.
#   hack/image/build.sh [TAG]      # default localhost/meridian:dev; prints the tag last
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
# shellcheck source=hack/image/env.sh
source hack/image/env.sh
TAG="${1:-localhost/meridian:dev}"
hack/image/base-image.sh
started=$(date +%s)
# Host networking: npm in the build stages reaches the registry the way the host does, without
# container networking (bridges, iptables) that this sandbox may not allow.
buildah bud --pull=never --layers --network host --quiet --tag "$TAG" . >/dev/null
size=$(podman image inspect --format '{{.Size}}' "$TAG")
printf '[image] built %s in %s s: %s MB\n' "$TAG" "$(($(date +%s) - started))" "$((size / 1000000))" >&2
echo "$TAG"
