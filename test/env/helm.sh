# Component `helm`: the helm v3 CLI, built from the Go module proxy by test/env/kube/build.sh (wrapper
# module test/env/kube/helm, version pinned in its go.mod) and cached in $BERTH_TESTBED_CACHE. CLI
# only: no process to start; tests run lint/template/install against the bed's kube-apiserver.
# Sourced by testbed.sh (set -euo pipefail); defines helm_up/_status/_down/_env.

HELM_VERSION=$(awk -v m=helm.sh/helm/v3 '($1 == m || ($1 == "require" && $2 == m)) { print ($1 == m ? $2 : $3); exit }' "$TB_ENV_DIR/kube/helm/go.mod")
HELM_BIN="$BERTH_TESTBED_CACHE/helm-$HELM_VERSION/bin/helm"

helm_up() {
  [ -x "$HELM_BIN" ] && return 0
  mkdir -p "$BERTH_TESTBED_RUN"
  local log="$BERTH_TESTBED_RUN/helm-build.log"
  tb_log "helm: building helm $HELM_VERSION from the Go module proxy (first run only, a few minutes; log: $log)"
  bash "$TB_ENV_DIR/kube/build.sh" helm "$(dirname "$HELM_BIN")" >>"$log" 2>&1 \
    || { tail -n 20 "$log" >&2; tb_fail helm "building helm $HELM_VERSION failed (log: $log)"; }
}

# Healthy = the cached binary runs and reports the pinned version.
helm_status() {
  [ -x "$HELM_BIN" ] || { echo "helm $HELM_VERSION not built ($HELM_BIN missing)"; return 1; }
  local v; v=$("$HELM_BIN" version --template '{{.Version}}' 2>&1) || { echo "helm version failed: $v"; return 1; }
  [ "$v" = "$HELM_VERSION" ] || { echo "helm reports $v, expected $HELM_VERSION"; return 1; }
  echo "helm $v ($HELM_BIN)"
}

helm_down() { :; }                                  # nothing running

helm_env() {
  echo "export BERTH_TEST_HELM=$HELM_BIN"
  echo "export BERTH_TEST_HELM_VERSION=$HELM_VERSION"
}
