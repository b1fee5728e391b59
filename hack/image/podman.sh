#!/usr/bin/env bash
# podman with Meridian's container storage and settings (hack/image/env.sh), e.g.
#   hack/image/podman.sh run --rm --read-only --cap-drop=ALL --user 10001 localhost/meridian:dev version
set -euo pipefail
# shellcheck source=hack/image/env.sh
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"
exec podman "$@"
