#!/usr/bin/env bash
# Run the compiled suite (dist/test/run.js) on one of the bed's extra Node releases instead of the
# machine's node: `bash test/env/run-on-node.sh 24 [run.js options...]`. run.js starts every test file
# with process.execPath, so the whole suite, and every controller/agent a test spawns, runs on that
# Node. Build first (`npm run build`; tsc and vite run on the machine's node, their output is plain JS).
set -euo pipefail
cd "$(dirname "$0")/../.."
major="${1:?usage: run-on-node.sh MAJOR [run.js options...]  (MAJOR: 22 or 24)}"; shift
bash test/env/testbed.sh up node >&2
eval "$(bash test/env/testbed.sh env)"
var="BERTH_TEST_NODE_${major}"
bin="${!var:-}"
[ -n "$bin" ] && [ -x "$bin" ] || { echo "no Node $major in the test bed (test/env/node.sh pins: 22, 24)" >&2; exit 2; }
echo "[run-on-node] $("$bin" --version) ($bin)" >&2
exec "$bin" dist/test/run.js "$@"
