# Component `kube`: a real kube-apiserver v1.36.3 (+ etcd v3.6.8, kubectl), built from the Go module
# proxy by test/env/kube/build.sh and cached in $BERTH_TESTBED_CACHE, so only the first run builds.
# Sourced by testbed.sh (set -euo pipefail); defines kube_up/_status/_down/_env and
# kube_restart_apiserver. Can also be run directly for one function, e.g. from a chaos test:
#
#   bash test/env/kube.sh kube_restart_apiserver
#
# There is no kubelet, scheduler or controller-manager: Deployments never get Pods, garbage collection
# does not run, and namespaces get no `default` ServiceAccount. Tests create what they need.

if [ "${BASH_SOURCE[0]}" = "$0" ]; then             # run directly rather than sourced by testbed.sh
  set -euo pipefail
  source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
fi

KUBE_VERSION=v1.36.3
# etcd's version is pinned once, in the wrapper module's go.mod (the etcd k8s v1.36.3's go.mod requires).
KUBE_ETCD_VERSION=$(awk -v m=go.etcd.io/etcd/server/v3 '($1 == m || ($1 == "require" && $2 == m)) { print ($1 == m ? $2 : $3); exit }' "$TB_ENV_DIR/kube/etcd/go.mod")
KUBE_BIN="$BERTH_TESTBED_CACHE/k8s-$KUBE_VERSION/bin"
KUBE_ETCD_BIN="$BERTH_TESTBED_CACHE/etcd-$KUBE_ETCD_VERSION/bin"
KUBE_RUN="$BERTH_TESTBED_RUN/kube"              # pki, tokens, kubeconfigs, etcd data, logs, pids
KUBE_PKI="$KUBE_RUN/pki"
KUBE_ETCD_PORT=12379 KUBE_ETCD_PEER_PORT=12380 KUBE_API_PORT=16443
KUBE_API_URL="https://127.0.0.1:$KUBE_API_PORT"
KUBE_USERS=(admin alice bob)

# tb_stop_pid's final `kill -9` fails when the process already exited on TERM, which under `set -e`
# would end the caller right there (before the pid file is removed). Stop through this instead.
_kube_stop() { tb_stop_pid "$1" || true; }

# The static token of USER (from the token file written once per run dir).
_kube_token() { awk -F, -v u="$1" '$2 == u { print $1 }' "$KUBE_RUN/tokens.csv" 2>/dev/null; }

# Something (maybe not ours) listening on 127.0.0.1:PORT?
_kube_port_busy() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

_kube_etcd_healthy() { curl -fsS --max-time 2 "http://127.0.0.1:$KUBE_ETCD_PORT/health" 2>/dev/null | grep -q '"health":"true"'; }

# /readyz as admin, checked against our CA: proves it is *our* apiserver, serving and ready.
_kube_api_ready() {
  [ "$(curl -sS --max-time 3 --cacert "$KUBE_PKI/ca.crt" -H "Authorization: Bearer $(_kube_token admin)" \
        "$KUBE_API_URL/readyz" 2>/dev/null)" = ok ]
}

_kube_api_ready_or_dead() { _kube_api_ready || ! tb_pid_alive "$KUBE_RUN/apiserver.pid"; }

# Build kube-apiserver + kubectl and etcd unless cached. The first build takes many minutes on 2 cores.
_kube_build() {
  if [ -x "$KUBE_BIN/kube-apiserver" ] && [ -x "$KUBE_BIN/kubectl" ] && [ -x "$KUBE_ETCD_BIN/etcd" ]; then return 0; fi
  mkdir -p "$KUBE_RUN"
  local log="$KUBE_RUN/build.log"
  tb_log "kube: building kube-apiserver/kubectl $KUBE_VERSION and etcd $KUBE_ETCD_VERSION from the Go module proxy (first run only, ~5-10 min on 2 cores; log: $log)"
  bash "$TB_ENV_DIR/kube/build.sh" k8s "$KUBE_VERSION" "$KUBE_BIN" >>"$log" 2>&1 \
    || { tail -n 20 "$log" >&2; tb_fail kube "building kube-apiserver/kubectl $KUBE_VERSION failed (log: $log)"; }
  bash "$TB_ENV_DIR/kube/build.sh" etcd "$KUBE_ETCD_BIN" >>"$log" 2>&1 \
    || { tail -n 20 "$log" >&2; tb_fail kube "building etcd $KUBE_ETCD_VERSION failed (log: $log)"; }
}

# CA, apiserver serving cert, service-account key pair and the token file: made once per run dir and
# kept, so tokens and kubeconfigs stay valid across `down`/`up` and apiserver restarts.
_kube_pki() {
  mkdir -p "$KUBE_PKI"; chmod 700 "$KUBE_PKI"
  local p="$KUBE_PKI"
  if [ ! -f "$p/ca.crt" ]; then
    openssl req -x509 -newkey rsa:2048 -nodes -days 3650 -subj "/CN=berth-testbed-ca" \
      -keyout "$p/ca.key" -out "$p/ca.crt.tmp" 2>/dev/null || tb_fail kube "openssl could not make the CA"
    mv "$p/ca.crt.tmp" "$p/ca.crt"; rm -f "$p/apiserver.crt"       # new CA => re-issue the serving cert
  fi
  if [ ! -f "$p/apiserver.crt" ]; then
    # SANs: how tests reach it (127.0.0.1, localhost) and how in-cluster clients would (service IP).
    openssl req -newkey rsa:2048 -nodes -subj "/CN=kube-apiserver" -keyout "$p/apiserver.key" -out "$p/apiserver.csr" 2>/dev/null
    printf 'subjectAltName=IP:127.0.0.1,IP:10.96.0.1,DNS:localhost,DNS:kubernetes,DNS:kubernetes.default,DNS:kubernetes.default.svc,DNS:kubernetes.default.svc.cluster.local\nextendedKeyUsage=serverAuth\nkeyUsage=digitalSignature,keyEncipherment\n' > "$p/apiserver.ext"
    openssl x509 -req -in "$p/apiserver.csr" -CA "$p/ca.crt" -CAkey "$p/ca.key" -CAcreateserial -days 3650 \
      -extfile "$p/apiserver.ext" -out "$p/apiserver.crt.tmp" 2>/dev/null || tb_fail kube "openssl could not sign the apiserver cert"
    mv "$p/apiserver.crt.tmp" "$p/apiserver.crt"
  fi
  if [ ! -f "$p/sa.pub" ]; then                   # signs/verifies ServiceAccount tokens (TokenRequest)
    openssl genrsa -out "$p/sa.key" 2048 2>/dev/null && openssl rsa -in "$p/sa.key" -pubout -out "$p/sa.pub.tmp" 2>/dev/null \
      || tb_fail kube "openssl could not make the service-account key"
    mv "$p/sa.pub.tmp" "$p/sa.pub"
  fi
  if [ ! -f "$KUBE_RUN/tokens.csv" ]; then
    # token,user,uid,"groups": admin is cluster-admin via system:masters; alice and bob get only
    # system:authenticated (added by the apiserver), i.e. no rights until a test grants some via RBAC.
    { printf '%s,admin,uid-admin,"system:masters"\n' "$(openssl rand -hex 24)"
      printf '%s,alice,uid-alice\n' "$(openssl rand -hex 24)"
      printf '%s,bob,uid-bob\n' "$(openssl rand -hex 24)"; } > "$KUBE_RUN/tokens.csv.tmp"
    chmod 600 "$KUBE_RUN/tokens.csv.tmp"; mv "$KUBE_RUN/tokens.csv.tmp" "$KUBE_RUN/tokens.csv"
  fi
}

# One kubeconfig per user: token auth, CA embedded, so a kubeconfig file is all a client needs.
_kube_kubeconfigs() {
  local ca u; ca=$(base64 -w0 "$KUBE_PKI/ca.crt")
  for u in "${KUBE_USERS[@]}"; do
    cat > "$KUBE_RUN/$u.kubeconfig.tmp" <<EOF
apiVersion: v1
kind: Config
clusters:
- name: berth-test
  cluster:
    server: $KUBE_API_URL
    certificate-authority-data: $ca
users:
- name: $u
  user:
    token: $(_kube_token "$u")
contexts:
- name: $u@berth-test
  context: {cluster: berth-test, user: $u}
current-context: $u@berth-test
EOF
    chmod 600 "$KUBE_RUN/$u.kubeconfig.tmp"; mv "$KUBE_RUN/$u.kubeconfig.tmp" "$KUBE_RUN/$u.kubeconfig"
  done
}

_kube_start_etcd() {
  if tb_pid_alive "$KUBE_RUN/etcd.pid" && _kube_etcd_healthy; then return 0; fi
  _kube_stop "$KUBE_RUN/etcd.pid"                 # ours but unhealthy: start over
  _kube_port_busy "$KUBE_ETCD_PORT" && tb_fail kube "port $KUBE_ETCD_PORT is taken by a process the bed did not start (etcd client port)"
  _kube_port_busy "$KUBE_ETCD_PEER_PORT" && tb_fail kube "port $KUBE_ETCD_PEER_PORT is taken by a process the bed did not start (etcd peer port)"
  local peer="http://127.0.0.1:$KUBE_ETCD_PEER_PORT" client="http://127.0.0.1:$KUBE_ETCD_PORT"
  mkdir -p "$KUBE_RUN/etcd"; chmod 700 "$KUBE_RUN/etcd"
  # --unsafe-no-fsync: throwaway test data; fsync latency would otherwise dominate on shared disks.
  tb_daemon "$KUBE_RUN/etcd.pid" "$KUBE_RUN/etcd.log" "$KUBE_ETCD_BIN/etcd" \
    --name berth-test --data-dir "$KUBE_RUN/etcd" \
    --listen-client-urls "$client" --advertise-client-urls "$client" \
    --listen-peer-urls "$peer" --initial-advertise-peer-urls "$peer" --initial-cluster "berth-test=$peer" \
    --unsafe-no-fsync --log-level warn
  tb_wait 30 _kube_etcd_healthy || { tail -n 20 "$KUBE_RUN/etcd.log" >&2; tb_fail kube "etcd did not become healthy on :$KUBE_ETCD_PORT within 30s (log: $KUBE_RUN/etcd.log)"; }
}

_kube_start_apiserver() {
  if tb_pid_alive "$KUBE_RUN/apiserver.pid" && _kube_api_ready; then return 0; fi
  _kube_stop "$KUBE_RUN/apiserver.pid"
  _kube_port_busy "$KUBE_API_PORT" && tb_fail kube "port $KUBE_API_PORT is taken by a process the bed did not start (kube-apiserver)"
  local p="$KUBE_PKI"
  echo "--- start $(date -u +%FT%TZ)" >> "$KUBE_RUN/apiserver.log"
  # Lean for 2 cores: no priority-and-fairness, no profiling; RBAC only (no Node authorizer: no kubelets).
  # --endpoint-reconciler-type=none: the `kubernetes` Service may not point at a loopback address,
  # so the reconciler would only log an error every 10s; nothing in the bed routes to it anyway.
  tb_daemon "$KUBE_RUN/apiserver.pid" "$KUBE_RUN/apiserver.log" "$KUBE_BIN/kube-apiserver" \
    --etcd-servers="http://127.0.0.1:$KUBE_ETCD_PORT" \
    --bind-address=127.0.0.1 --advertise-address=127.0.0.1 --secure-port="$KUBE_API_PORT" \
    --cert-dir="$p" --tls-cert-file="$p/apiserver.crt" --tls-private-key-file="$p/apiserver.key" \
    --client-ca-file="$p/ca.crt" --token-auth-file="$KUBE_RUN/tokens.csv" \
    --authorization-mode=RBAC \
    --service-account-issuer=https://kubernetes.default.svc.cluster.local \
    --service-account-key-file="$p/sa.pub" --service-account-signing-key-file="$p/sa.key" \
    --service-cluster-ip-range=10.96.0.0/16 --allow-privileged=true \
    --endpoint-reconciler-type=none --enable-priority-and-fairness=false --profiling=false
  # Stop waiting early if the process died (e.g. a bad flag): its log says why.
  tb_wait 60 _kube_api_ready_or_dead || true
  if ! _kube_api_ready; then
    tail -n 30 "$KUBE_RUN/apiserver.log" >&2
    tb_pid_alive "$KUBE_RUN/apiserver.pid" || tb_fail kube "kube-apiserver exited at start (log: $KUBE_RUN/apiserver.log)"
    tb_fail kube "kube-apiserver not ready on $KUBE_API_URL/readyz within 60s (log: $KUBE_RUN/apiserver.log)"
  fi
}

kube_up() {
  tb_apt_install curl openssl
  _kube_build
  mkdir -p "$KUBE_RUN"
  _kube_pki
  _kube_kubeconfigs
  _kube_start_etcd
  _kube_start_apiserver
}

kube_status() {
  tb_pid_alive "$KUBE_RUN/etcd.pid" || { echo "etcd not running (no live pid in $KUBE_RUN/etcd.pid)"; return 1; }
  _kube_etcd_healthy || { echo "etcd on :$KUBE_ETCD_PORT not healthy"; return 1; }
  tb_pid_alive "$KUBE_RUN/apiserver.pid" || { echo "kube-apiserver not running (no live pid in $KUBE_RUN/apiserver.pid)"; return 1; }
  _kube_api_ready || { echo "kube-apiserver $KUBE_API_URL/readyz not ok"; return 1; }
  echo "kube-apiserver $KUBE_VERSION at $KUBE_API_URL, etcd $KUBE_ETCD_VERSION on :$KUBE_ETCD_PORT"
}

# Apiserver first, so it never sees its etcd vanish underneath it.
kube_down() {
  _kube_stop "$KUBE_RUN/apiserver.pid"
  _kube_stop "$KUBE_RUN/etcd.pid"
}

kube_env() {
  local u U
  echo "export BERTH_TEST_K8S_VERSION=$KUBE_VERSION"
  echo "export BERTH_TEST_KUBECTL=$KUBE_BIN/kubectl"
  echo "export BERTH_TEST_KUBE_APISERVER=$KUBE_BIN/kube-apiserver"
  echo "export BERTH_TEST_APISERVER_URL=$KUBE_API_URL"
  echo "export BERTH_TEST_KUBE_CA=$KUBE_PKI/ca.crt"
  echo "export BERTH_TEST_KUBECONFIG=$KUBE_RUN/admin.kubeconfig"
  for u in alice bob; do U=$(echo "$u" | tr a-z A-Z); echo "export BERTH_TEST_KUBECONFIG_$U=$KUBE_RUN/$u.kubeconfig"; done
  # Tokens exist once `up` has run; before that they print empty (the paths above are still right).
  for u in "${KUBE_USERS[@]}"; do U=$(echo "$u" | tr a-z A-Z); echo "export BERTH_TEST_TOKEN_$U=$(_kube_token "$u")"; done
}

# For chaos tests: stop just the apiserver (by its pid) and start it again; etcd keeps the data.
kube_restart_apiserver() {
  _kube_stop "$KUBE_RUN/apiserver.pid"
  _kube_start_etcd
  _kube_start_apiserver
  tb_log "kube: apiserver restarted (pid $(cat "$KUBE_RUN/apiserver.pid"))"
}

# Run directly: `bash test/env/kube.sh FUNCTION` (e.g. kube_restart_apiserver, kube_status).
if [ "${BASH_SOURCE[0]}" = "$0" ]; then
  fn="${1:?usage: kube.sh kube_up|kube_status|kube_down|kube_env|kube_restart_apiserver}"
  case "$fn" in kube_up|kube_status|kube_down|kube_env|kube_restart_apiserver) "$fn" ;; *) echo "kube.sh: unknown function $fn" >&2; exit 2 ;; esac
fi
