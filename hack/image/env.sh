# Source this file: it points buildah and podman at Meridian's own container storage and settings,
# so image builds never touch (or depend on) the machine's default storage.
#   source hack/image/env.sh
# - storage under ~/.cache/meridian/image/storage: the base image and buildah's layer cache stay
#   there between runs, which is what keeps a warm build fast;
# - runtime "runc" (Debian's podman would look for crun first, which we do not install);
# - explicit default_ulimits: podman's defaults ask for more open files and processes than this
#   sandbox lets a process raise its limits to, and runc then fails with "error setting rlimits".
#   podman itself lowers its nproc to 32768 before starting the runtime, so that is the ceiling.
MERIDIAN_IMAGE_CACHE="${MERIDIAN_CACHE:-$HOME/.cache/meridian}/image"
_meridian_conf_dir="$MERIDIAN_IMAGE_CACHE/containers"
mkdir -p "$_meridian_conf_dir"
_meridian_nofile=$(ulimit -Hn); [ "$_meridian_nofile" = unlimited ] && _meridian_nofile=1048576
_meridian_nproc=$(ulimit -Hu); { [ "$_meridian_nproc" = unlimited ] || [ "$_meridian_nproc" -gt 32768 ]; } && _meridian_nproc=32768
cat >"$_meridian_conf_dir/containers.conf.$$" <<CONF
[containers]
default_ulimits = ["nofile=$_meridian_nofile:$_meridian_nofile", "nproc=$_meridian_nproc:$_meridian_nproc"]
[engine]
runtime = "runc"
cgroup_manager = "cgroupfs"
events_logger = "file"
CONF
cat >"$_meridian_conf_dir/storage.conf.$$" <<CONF
[storage]
driver = "overlay"
graphroot = "$MERIDIAN_IMAGE_CACHE/storage"
runroot = "/run/meridian-containers"
CONF
# Written aside and renamed: a concurrent podman never reads a half-written file.
mv -f "$_meridian_conf_dir/containers.conf.$$" "$_meridian_conf_dir/containers.conf"
mv -f "$_meridian_conf_dir/storage.conf.$$" "$_meridian_conf_dir/storage.conf"
export CONTAINERS_CONF="$_meridian_conf_dir/containers.conf"
export CONTAINERS_STORAGE_CONF="$_meridian_conf_dir/storage.conf"
export MERIDIAN_IMAGE_CACHE
unset _meridian_conf_dir _meridian_nofile _meridian_nproc
