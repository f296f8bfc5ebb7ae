# Component `prometheus`: the prometheus server and promtool, built from the Go module proxy by
# test/env/kube/build.sh (wrapper module test/env/kube/prometheus, version pinned in its go.mod) and
# cached in $BERTH_TESTBED_CACHE. CLI only: no process is left running; `promtool check/test rules`
# runs per test, and the end-to-end alert test starts its own `prometheus` (own port, own data dir)
# and stops it by its pid.
# Sourced by testbed.sh (set -euo pipefail); defines prometheus_up/_status/_down/_env.

PROMETHEUS_MODULE=$(awk -v m=github.com/prometheus/prometheus '($1 == m || ($1 == "require" && $2 == m)) { print ($1 == m ? $2 : $3); exit }' "$TB_ENV_DIR/kube/prometheus/go.mod")
PROMETHEUS_BIN="$BERTH_TESTBED_CACHE/prometheus-$PROMETHEUS_MODULE/bin"
# The Prometheus Operator's CRDs (ServiceMonitor, PrometheusRule), so tests can dry-run the chart's
# monitoring objects on the real apiserver: the YAML files of its Go module, from the Go module proxy
# (checked against sum.golang.org like any module download). Pinned here.
PROMETHEUS_OPERATOR_VERSION=v0.85.0
PROMETHEUS_OPERATOR_CRDS="$BERTH_TESTBED_CACHE/prometheus-operator-$PROMETHEUS_OPERATOR_VERSION/crds"

_prometheus_operator_crds() {
  [ -f "$PROMETHEUS_OPERATOR_CRDS/monitoring.coreos.com_servicemonitors.yaml" ] && [ -f "$PROMETHEUS_OPERATOR_CRDS/monitoring.coreos.com_prometheusrules.yaml" ] && return 0
  local dir
  dir=$(cd /tmp && GOTOOLCHAIN=local GOFLAGS=-mod=mod /usr/local/go/bin/go mod download -json "github.com/prometheus-operator/prometheus-operator@$PROMETHEUS_OPERATOR_VERSION" \
    | awk -F'"' '$2 == "Dir" { print $4 }') || tb_fail prometheus "downloading prometheus-operator $PROMETHEUS_OPERATOR_VERSION from the Go module proxy failed"
  mkdir -p "$PROMETHEUS_OPERATOR_CRDS.tmp"
  cp "$dir/example/prometheus-operator-crd/monitoring.coreos.com_servicemonitors.yaml" \
     "$dir/example/prometheus-operator-crd/monitoring.coreos.com_prometheusrules.yaml" "$PROMETHEUS_OPERATOR_CRDS.tmp/"
  rm -rf "$PROMETHEUS_OPERATOR_CRDS"; mv "$PROMETHEUS_OPERATOR_CRDS.tmp" "$PROMETHEUS_OPERATOR_CRDS"
}

prometheus_up() {
  _prometheus_operator_crds
  [ -x "$PROMETHEUS_BIN/prometheus" ] && [ -x "$PROMETHEUS_BIN/promtool" ] && return 0
  mkdir -p "$BERTH_TESTBED_RUN"
  local log="$BERTH_TESTBED_RUN/prometheus-build.log"
  tb_log "prometheus: building prometheus + promtool ($PROMETHEUS_MODULE) from the Go module proxy (first run only, several minutes; log: $log)"
  bash "$TB_ENV_DIR/kube/build.sh" prometheus "$PROMETHEUS_BIN" >>"$log" 2>&1 \
    || { tail -n 20 "$log" >&2; tb_fail prometheus "building prometheus $PROMETHEUS_MODULE failed (log: $log)"; }
}

# Healthy = both binaries run, and promtool judges a known rule file valid.
prometheus_status() {
  local t
  for t in prometheus promtool; do [ -x "$PROMETHEUS_BIN/$t" ] || { echo "$t not built ($PROMETHEUS_BIN/$t missing)"; return 1; }; done
  local v; v=$("$PROMETHEUS_BIN/prometheus" --version 2>&1 | head -n1) || { echo "prometheus --version failed: $v"; return 1; }
  "$PROMETHEUS_BIN/promtool" check rules <(printf 'groups:\n- name: g\n  rules:\n  - alert: A\n    expr: up == 0\n') >/dev/null 2>&1 \
    || { echo "promtool check rules refuses a valid rule file"; return 1; }
  [ -f "$PROMETHEUS_OPERATOR_CRDS/monitoring.coreos.com_prometheusrules.yaml" ] || { echo "prometheus-operator CRDs missing ($PROMETHEUS_OPERATOR_CRDS)"; return 1; }
  echo "$v ($PROMETHEUS_BIN; operator CRDs $PROMETHEUS_OPERATOR_VERSION)"
}

prometheus_down() { :; }                            # nothing running

prometheus_env() {
  echo "export BERTH_TEST_PROMETHEUS=$PROMETHEUS_BIN/prometheus"
  echo "export BERTH_TEST_PROMTOOL=$PROMETHEUS_BIN/promtool"
  echo "export BERTH_TEST_PROMETHEUS_OPERATOR_CRDS=$PROMETHEUS_OPERATOR_CRDS"
}
