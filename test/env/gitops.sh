# Component `gitops`: the GitOps health judges, built from the Go module proxy by
# test/env/kube/build.sh (wrapper module test/env/kube/gitops, libraries pinned in its go.mod) and
# cached in $BERTH_TESTBED_CACHE. CLI only: tests pipe live objects from the apiserver through them.
#   kstatus  sigs.k8s.io/cli-utils/pkg/kstatus/status   (kubectl/cli-utils waiters, Flux's default)
#   lua      github.com/yuin/gopher-lua set up as Argo CD runs resource health scripts
#   cel      github.com/google/cel-go with Flux's healthCheckExprs environment and order
# Sourced by testbed.sh (set -euo pipefail); defines gitops_up/_status/_down/_env.

# The directory is named after the hash of the wrapper module, so a pin bump rebuilds.
GITOPS_ID=$(cat "$TB_ENV_DIR"/kube/gitops/go.mod "$TB_ENV_DIR"/kube/gitops/*/*.go | sha256sum | cut -c1-12)
GITOPS_BIN="$BERTH_TESTBED_CACHE/gitops-$GITOPS_ID/bin"

gitops_up() {
  [ -x "$GITOPS_BIN/kstatus" ] && [ -x "$GITOPS_BIN/lua" ] && [ -x "$GITOPS_BIN/cel" ] && return 0
  mkdir -p "$BERTH_TESTBED_RUN"
  local log="$BERTH_TESTBED_RUN/gitops-build.log"
  tb_log "gitops: building kstatus, lua, cel from the Go module proxy (first run only, ~1-2 min; log: $log)"
  bash "$TB_ENV_DIR/kube/build.sh" gitops "$GITOPS_BIN" >>"$log" 2>&1 \
    || { tail -n 20 "$log" >&2; tb_fail gitops "building the GitOps health tools failed (log: $log)"; }
}

# Healthy = each tool answers a known object with the verdict its library gives.
gitops_status() {
  local t obj='{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"x","generation":2},"status":{"observedGeneration":1}}'
  for t in kstatus lua cel; do [ -x "$GITOPS_BIN/$t" ] || { echo "$t not built ($GITOPS_BIN/$t missing)"; return 1; }; done
  echo "$obj" | "$GITOPS_BIN/kstatus" | grep -q '"status":"InProgress"' || { echo "kstatus does not judge a stale object InProgress"; return 1; }
  echo "$obj" | "$GITOPS_BIN/cel" -current 'true' | grep -q '"status":"InProgress"' || { echo "cel does not judge a stale object InProgress"; return 1; }
  echo "$obj" | "$GITOPS_BIN/lua" <(echo 'return { status = obj.metadata.generation == 2 and "Healthy" or "Degraded" }') \
    | grep -q '"status":"Healthy"' || { echo "lua does not run a health script against obj"; return 1; }
  echo "kstatus, lua, cel ($GITOPS_BIN)"
}

gitops_down() { :; }                                # nothing running

gitops_env() {
  echo "export BERTH_TEST_KSTATUS=$GITOPS_BIN/kstatus"
  echo "export BERTH_TEST_GITOPS_LUA=$GITOPS_BIN/lua"
  echo "export BERTH_TEST_GITOPS_CEL=$GITOPS_BIN/cel"
}
