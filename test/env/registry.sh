# Component `registry`: Debian's docker-registry (CNCF distribution 2.8) on 127.0.0.1:5000, plain HTTP
# with htpasswd auth, run by us (not the distro's service) with everything in $BERTH_TESTBED_RUN/registry.
# dockerd treats registries on 127.0.0.0/8 as insecure-allowed, so no TLS or daemon config is needed.
# See test/env/README.md (## registry). Every step checks its own result (set -e is off under `||`).

REGISTRY_TB_ADDR=127.0.0.1:5000
REGISTRY_TB_USER=berth
REGISTRY_TB_DIR="$BERTH_TESTBED_RUN/registry"
REGISTRY_TB_PID="$REGISTRY_TB_DIR/registry.pid"
REGISTRY_TB_LOG="$REGISTRY_TB_DIR/registry.log"
REGISTRY_TB_PASSWORD_FILE="$REGISTRY_TB_DIR/password"   # generated once, kept with the run dir

# HTTP status of GET /v2/ without credentials ("000" when nothing answers).
_registry_code() { curl -s -o /dev/null -m 3 -w '%{http_code}' "http://$REGISTRY_TB_ADDR/v2/" 2>/dev/null || true; }
# Healthy = asks anonymous clients for credentials and lets our user in.
_registry_answers() {
  [ "$(_registry_code)" = 401 ] &&
    [ "$(curl -s -o /dev/null -m 3 -w '%{http_code}' -u "$REGISTRY_TB_USER:$(cat "$REGISTRY_TB_PASSWORD_FILE" 2>/dev/null)" "http://$REGISTRY_TB_ADDR/v2/" 2>/dev/null)" = 200 ]
}

_registry_config() {
  mkdir -p "$REGISTRY_TB_DIR/data" || return 1
  if [ ! -s "$REGISTRY_TB_PASSWORD_FILE" ]; then
    (umask 077; od -An -tx1 -N18 /dev/urandom | tr -d ' \n' >"$REGISTRY_TB_PASSWORD_FILE") || return 1
  fi
  if [ ! -s "$REGISTRY_TB_DIR/http-secret" ]; then   # signs upload state; fixed so restarts resume uploads
    (umask 077; od -An -tx1 -N16 /dev/urandom | tr -d ' \n' >"$REGISTRY_TB_DIR/http-secret") || return 1
  fi
  # bcrypt (-B) is the only hash distribution's htpasswd accepts. -v checks the stored entry.
  htpasswd -vb "$REGISTRY_TB_DIR/htpasswd" "$REGISTRY_TB_USER" "$(cat "$REGISTRY_TB_PASSWORD_FILE")" >/dev/null 2>&1 ||
    htpasswd -Bbc "$REGISTRY_TB_DIR/htpasswd" "$REGISTRY_TB_USER" "$(cat "$REGISTRY_TB_PASSWORD_FILE")" >/dev/null 2>&1 || return 1
  cat >"$REGISTRY_TB_DIR/config.yml" <<EOF
# Written by test/env/registry.sh; rewritten on every \`up\`.
version: 0.1
log:
  level: info
  formatter: text
storage:
  filesystem:
    rootdirectory: $REGISTRY_TB_DIR/data
  delete:
    enabled: true
http:
  addr: $REGISTRY_TB_ADDR
  secret: $(cat "$REGISTRY_TB_DIR/http-secret")
auth:
  htpasswd:
    realm: berth-test-registry
    path: $REGISTRY_TB_DIR/htpasswd
EOF
}

registry_up() {
  tb_apt_install docker-registry apache2-utils curl || tb_fail registry "apt-get install docker-registry apache2-utils failed"
  _registry_config || tb_fail registry "cannot write config, password or htpasswd in $REGISTRY_TB_DIR"

  if tb_pid_alive "$REGISTRY_TB_PID"; then
    tb_wait 10 _registry_answers && return 0
    tb_log "registry: pid $(cat "$REGISTRY_TB_PID") does not answer as expected; restarting it"
    tb_stop_pid "$REGISTRY_TB_PID"
  fi
  # Port taken by something that is not ours: starting would fail with "address already in use".
  if [ -n "$(ss -Hltn "sport = :${REGISTRY_TB_ADDR##*:}" 2>/dev/null)" ]; then
    tb_fail registry "$REGISTRY_TB_ADDR is already in use by a process the test bed did not start (GET /v2/ -> $(_registry_code))"
  fi

  printf '\n=== %s testbed starts: docker-registry serve %s\n' "$(date -Is)" "$REGISTRY_TB_DIR/config.yml" >>"$REGISTRY_TB_LOG"
  tb_daemon "$REGISTRY_TB_PID" "$REGISTRY_TB_LOG" docker-registry serve "$REGISTRY_TB_DIR/config.yml"
  tb_wait 30 _registry_answers ||
    tb_fail registry "docker-registry did not answer /v2/ with 401 (and 200 for $REGISTRY_TB_USER) within 30s: $(grep -E 'level=(fatal|error|panic)' "$REGISTRY_TB_LOG" | tail -n1 | cut -c1-200); log: $REGISTRY_TB_LOG"
}

registry_status() {
  tb_pid_alive "$REGISTRY_TB_PID" || { echo "not running (no live pid in $REGISTRY_TB_PID)"; return 1; }
  _registry_answers || { echo "pid $(cat "$REGISTRY_TB_PID") runs but $REGISTRY_TB_ADDR/v2/ answers $(_registry_code) / rejects $REGISTRY_TB_USER"; return 1; }
  echo "docker-registry on http://$REGISTRY_TB_ADDR (pid $(cat "$REGISTRY_TB_PID"), htpasswd user $REGISTRY_TB_USER)"
}

registry_down() { tb_stop_pid "$REGISTRY_TB_PID"; }

# The password is empty until the first `up` generated it; bed() then fails with "run up".
registry_env() {
  echo "export BERTH_TEST_REGISTRY=$REGISTRY_TB_ADDR"
  echo "export BERTH_TEST_REGISTRY_USER=$REGISTRY_TB_USER"
  echo "export BERTH_TEST_REGISTRY_PASSWORD=$(cat "$REGISTRY_TB_PASSWORD_FILE" 2>/dev/null)"
}
