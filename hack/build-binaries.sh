#!/usr/bin/env bash
# Builds the binaries the test bed needs from the Go module proxy, pinned, into per-version cache
# folders, and prints (last line) a folder of links to the pinned set. A second run finds every
# binary and returns at once. Nothing here downloads a prebuilt binary: this machine only reaches
# the Go module proxy, so every control-plane component is compiled from its module.
#
#   BIN=$(hack/build-binaries.sh | tail -n1)
set -euo pipefail

KUBE_VERSION="${KUBE_VERSION:-v1.36.3}"   # kwok v0.8.0 defaults to 1.36, so its flags match
ETCD_VERSION="${ETCD_VERSION:-v3.6.16}"
KWOK_VERSION="${KWOK_VERSION:-v0.8.0}"
HELM_VERSION="${HELM_VERSION:-v3.21.4}"

CACHE_ROOT="${MERIDIAN_CACHE:-$HOME/.cache/meridian}"
SET_DIR="$CACHE_ROOT/bin/k8s-${KUBE_VERSION}_etcd-${ETCD_VERSION}_kwok-${KWOK_VERSION}_helm-${HELM_VERSION}"
WORK_DIR="$CACHE_ROOT/build"
mkdir -p "$SET_DIR" "$WORK_DIR"
# One build at a time per cache: two sessions (or a test run and a demo) started together would
# otherwise write the same .tmp files; the second waits, then finds everything built.
exec 9>"$CACHE_ROOT/build.lock"
flock 9
export CGO_ENABLED=0 GOFLAGS=-buildvcs=false

log() { printf '[build-binaries] %s\n' "$*" >&2; }
component_dir() { echo "$CACHE_ROOT/bin/$1-$2"; }          # name version
built() { [ -x "$(component_dir "$1" "$2")/$1" ]; }       # binary version
link() { ln -sfn "$(component_dir "$2" "$3")/$1" "$SET_DIR/$1"; } # binary component version

# Kubernetes: a wrapper module requires k8s.io/kubernetes and pins every staging module (which
# upstream replaces with ./staging paths) to its published v0.<minor>.<patch> tag, generated from
# that tag's own go.mod so the list can never be stale.
build_kubernetes() {
  local out; out=$(component_dir kubernetes "$KUBE_VERSION")
  local bins=(kube-apiserver kube-controller-manager kube-scheduler kubectl) missing=()
  for b in "${bins[@]}"; do [ -x "$out/$b" ] || missing+=("$b"); done
  if [ ${#missing[@]} -gt 0 ]; then
    local staging="v0.${KUBE_VERSION#v1.}" dir="$WORK_DIR/kubernetes-$KUBE_VERSION"
    mkdir -p "$dir" "$out"
    log "kubernetes $KUBE_VERSION: writing wrapper module (staging modules pinned to $staging)"
    local upstream_mod
    upstream_mod=$(cd "$dir" && go mod download -json "k8s.io/kubernetes@$KUBE_VERSION" | sed -n 's/.*"GoMod": "\(.*\)".*/\1/p')
    {
      printf 'module meridian.dev/testbed/kubernetes\n\ngo 1.25.0\n\nrequire k8s.io/kubernetes %s\n\nreplace (\n' "$KUBE_VERSION"
      grep -E '^\s*k8s.io/[a-z0-9-]+ => \./staging/' "$upstream_mod" | awk -v v="$staging" '{print "\t" $1 " => " $1 " " v}'
      printf ')\n'
    } >"$dir/go.mod"
    printf '//go:build tools\n\npackage tools\n\nimport (\n' >"$dir/tools.go"
    for b in "${bins[@]}"; do printf '\t_ "k8s.io/kubernetes/cmd/%s"\n' "$b" >>"$dir/tools.go"; done
    printf ')\n' >>"$dir/tools.go"
    log "kubernetes $KUBE_VERSION: resolving modules"
    (cd "$dir" && go mod tidy)
    local minor="${KUBE_VERSION#v1.}"; minor="${minor%%.*}"
    local ldflags="-s -w"
    for pkg in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
      ldflags+=" -X $pkg.gitVersion=$KUBE_VERSION -X $pkg.gitMajor=1 -X $pkg.gitMinor=$minor"
      ldflags+=" -X $pkg.gitTreeState=clean -X $pkg.buildDate=1970-01-01T00:00:00Z"
    done
    for b in "${missing[@]}"; do
      log "kubernetes $KUBE_VERSION: building $b (a cold build takes several minutes on 2 cores)"
      (cd "$dir" && go build -tags selinux,notest -ldflags "$ldflags" -o "$out/$b.tmp" "k8s.io/kubernetes/cmd/$b")
      mv "$out/$b.tmp" "$out/$b"
    done
  fi
  for b in "${bins[@]}"; do link "$b" kubernetes "$KUBE_VERSION"; done
}

# etcd: its root module carries replace directives, so a two-line main wraps etcdmain instead.
build_etcd() {
  if ! built etcd "$ETCD_VERSION"; then
    local dir="$WORK_DIR/etcd-$ETCD_VERSION" out; out=$(component_dir etcd "$ETCD_VERSION")
    mkdir -p "$dir" "$out"
    log "etcd $ETCD_VERSION: building"
    printf 'package main\n\nimport (\n\t"os"\n\n\t"go.etcd.io/etcd/server/v3/etcdmain"\n)\n\nfunc main() { etcdmain.Main(os.Args) }\n' >"$dir/main.go"
    printf 'module meridian.dev/testbed/etcd\n\ngo 1.25.0\n\nrequire go.etcd.io/etcd/server/v3 %s\n' "$ETCD_VERSION" >"$dir/go.mod"
    (cd "$dir" && go mod tidy && go build -ldflags "-s -w" -o "$out/etcd.tmp" . && mv "$out/etcd.tmp" "$out/etcd")
  fi
  link etcd etcd "$ETCD_VERSION"
}

# kwok, kwokctl and helm have no replace directives: `go install` builds them as published.
go_install() { # binary module-path version
  if ! built "$1" "$3"; then
    log "$1 $3: building"
    GOBIN="$(component_dir "$1" "$3")" go install -ldflags "-s -w" "$2@$3"
  fi
  link "$1" "$1" "$3"
}

build_etcd
go_install kwok sigs.k8s.io/kwok/cmd/kwok "$KWOK_VERSION"
go_install kwokctl sigs.k8s.io/kwok/cmd/kwokctl "$KWOK_VERSION"
go_install helm helm.sh/helm/v3/cmd/helm "$HELM_VERSION"
build_kubernetes
log "all binaries ready in $SET_DIR"
echo "$SET_DIR"
