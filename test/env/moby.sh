# Component `moby` (opt-in: `testbed.sh up moby`, `npm run test:moby`): a current Docker Engine, the
# moby v2 module's dockerd built from the Go module proxy, running containers with runc >= 1.2 also
# built from the Go module proxy (Debian's runc 1.1.5 lacks the time namespace this engine asks
# for). Versions are pinned in test/env/kube/moby/go.mod and test/env/kube/runc/go.mod; binaries are
# built by test/env/kube/build.sh into $BERTH_TESTBED_CACHE. The engine has its own socket, data
# root, exec root, pid file, config file, pre-created bridge br-berthm and address pool, like the
# extra engines (engines.sh says why each flag). Exported by `env` as BERTH_TEST_MOBY_HOST while it
# answers; BERTH_TEST_ENGINE=moby points the agent's runtime tests at it (test/support/testbed.ts).
# See docs/runtimes.md for what passes there and why it is not in the default `up` (build time).
# Sourced by testbed.sh after docker.sh (reuses _docker, DOCKER_TB_REFS); defines moby_up/_status/_down/_env.
#
# docker0 is the first engine's and must survive this one: moby deletes the default bridge link when
# started with --bridge=none (seen here), so _moby_args never says so (checked before every start),
# and docker0 is checked after the start and in `status`.

MOBY_TB_VERSION=$(awk -v m=github.com/moby/moby/v2 '($1 == m || ($1 == "require" && $2 == m)) { print ($1 == m ? $2 : $3); exit }' "$TB_ENV_DIR/kube/moby/go.mod")
RUNC_TB_VERSION=$(awk -v m=github.com/opencontainers/runc '($1 == m || ($1 == "require" && $2 == m)) { print ($1 == m ? $2 : $3); exit }' "$TB_ENV_DIR/kube/runc/go.mod")
MOBY_TB_BIN="$BERTH_TESTBED_CACHE/moby-$MOBY_TB_VERSION/bin"
RUNC_TB_BIN="$BERTH_TESTBED_CACHE/runc-$RUNC_TB_VERSION/bin"
MOBY_TB_DIR="$BERTH_TESTBED_RUN/moby"
MOBY_TB_SOCK="$MOBY_TB_DIR/docker.sock"
MOBY_TB_EXEC=/var/run/berth-moby          # short: containerd's socket lives under it (108-byte limit)
MOBY_TB_PID="$MOBY_TB_DIR/dockerd.pid"     # ours (tb_daemon)
MOBY_TB_DPID="$MOBY_TB_DIR/docker.pid"     # dockerd's own --pidfile
MOBY_TB_LOG="$MOBY_TB_DIR/dockerd.log"
MOBY_TB_BRIDGE=br-berthm
MOBY_TB_BIP=10.200.9.1/24                  # engines use 10.200.1-3; netns 10.201/10.202
MOBY_TB_SUBNET=10.200.9.0/24
MOBY_TB_POOL=10.219.0.0/16                 # engines' pools are 10.211-213

_moby_docker()  { DOCKER_HOST="unix://$MOBY_TB_SOCK" timeout 60 docker "$@"; }
_moby_answers() { curl -sf -m 5 --unix-socket "$MOBY_TB_SOCK" http://d/_ping >/dev/null 2>&1; }

_moby_build() {
  local log="$BERTH_TESTBED_RUN/moby-build.log"
  # gcc + libseccomp-dev: runc is cgo (nsenter) and links libseccomp for the seccomp tag.
  tb_apt_install gcc libc6-dev pkg-config libseccomp-dev containerd curl || tb_fail moby "apt-get install gcc libseccomp-dev containerd failed"
  if [ ! -x "$RUNC_TB_BIN/runc" ]; then
    tb_log "moby: building runc $RUNC_TB_VERSION from the Go module proxy (first run only, ~1 min; log: $log)"
    bash "$TB_ENV_DIR/kube/build.sh" runc "$RUNC_TB_BIN" >>"$log" 2>&1 \
      || { tail -n 20 "$log" >&2; tb_fail moby "building runc $RUNC_TB_VERSION failed (log: $log)"; }
  fi
  if [ ! -x "$MOBY_TB_BIN/dockerd" ] || [ ! -x "$MOBY_TB_BIN/docker-proxy" ]; then
    tb_log "moby: building dockerd $MOBY_TB_VERSION from the Go module proxy (first run only, ~14 min on 2 cores; log: $log)"
    bash "$TB_ENV_DIR/kube/build.sh" moby "$MOBY_TB_BIN" >>"$log" 2>&1 \
      || { tail -n 20 "$log" >&2; tb_fail moby "building dockerd $MOBY_TB_VERSION failed (log: $log)"; }
  fi
}

# dockerd's arguments, one a line. --iptables=false/--ip6tables=false: the first engine owns the
# host's netfilter rules (see engines.sh); ports are still published by docker-proxy.
_moby_args() {
  printf '%s\n' --host "unix://$MOBY_TB_SOCK" --data-root "$MOBY_TB_DIR/data" --exec-root "$MOBY_TB_EXEC" \
    --pidfile "$MOBY_TB_DPID" --config-file "$MOBY_TB_DIR/daemon.json" \
    --bridge "$MOBY_TB_BRIDGE" --iptables=false --ip6tables=false \
    --default-address-pool "base=$MOBY_TB_POOL,size=24"
}

# daemon.json: our runc as the default runtime (by absolute path: the containerd shim would
# otherwise find Debian's runc 1.1.5 on PATH), our docker-proxy (Debian's lacks -use-listen-fd), and
# live-restore for the same reason as the extra engines (engines.sh: a restart with an existing
# bridge network must not delete docker0).
_moby_config() {
  printf '{ "live-restore": true, "default-runtime": "berth-runc", "runtimes": { "berth-runc": { "path": "%s" } }, "userland-proxy-path": "%s" }\n' \
    "$RUNC_TB_BIN/runc" "$MOBY_TB_BIN/docker-proxy"
}

_moby_bridge_up() {
  ip link show "$MOBY_TB_BRIDGE" >/dev/null 2>&1 || ip link add "$MOBY_TB_BRIDGE" type bridge || return 1
  ip -4 addr show dev "$MOBY_TB_BRIDGE" | grep -q " ${MOBY_TB_BIP} " || ip addr add "$MOBY_TB_BIP" dev "$MOBY_TB_BRIDGE" || return 1
  ip link set "$MOBY_TB_BRIDGE" up
}

# DOCKER-USER ACCEPT rules for this engine's subnet and pool (see engines.sh: the first engine's
# FORWARD policy is DROP and bridged traffic passes netfilter).
_moby_rules() {
  local op="$1" net
  iptables -S DOCKER-USER >/dev/null 2>&1 || return 0
  for net in "$MOBY_TB_SUBNET" "$MOBY_TB_POOL"; do
    if [ "$op" = add ]; then
      iptables -C DOCKER-USER -s "$net" -d "$net" -j ACCEPT 2>/dev/null || iptables -I DOCKER-USER -s "$net" -d "$net" -j ACCEPT || return 1
    else
      while iptables -C DOCKER-USER -s "$net" -d "$net" -j ACCEPT 2>/dev/null; do iptables -D DOCKER-USER -s "$net" -d "$net" -j ACCEPT || break; done
    fi
  done
}

# docker0 gone after this engine started: put it back (the first engine's bridge gateway) and fail.
_moby_guard_docker0() {
  ip link show docker0 >/dev/null 2>&1 && return 0
  local gw; gw=$(_docker network inspect -f '{{(index .IPAM.Config 0).Gateway}}' bridge 2>/dev/null)
  tb_log "moby: docker0 vanished after the moby engine started; recreating it with ${gw:-172.17.0.1}/16"
  ip link add docker0 type bridge && ip addr add "${gw:-172.17.0.1}/16" dev docker0 && ip link set docker0 up
  return 1
}

_moby_stop() {
  tb_pid_alive "$MOBY_TB_PID" || { rm -f "$MOBY_TB_PID"; return 0; }
  local pid; pid=$(cat "$MOBY_TB_PID"); kill -TERM "$pid" 2>/dev/null
  for _ in $(seq 1 90); do kill -0 "$pid" 2>/dev/null || break; sleep 0.5; done
  tb_stop_pid "$MOBY_TB_PID"
}

_moby_start() {
  mkdir -p "$MOBY_TB_DIR/data" || return 1
  _moby_config >"$MOBY_TB_DIR/daemon.json" || return 1
  local args=(); mapfile -t args < <(_moby_args)
  case " ${args[*]} " in *" --bridge none "*|*"--bridge=none"*) tb_log "moby: refusing --bridge=none (it deletes docker0)"; return 1 ;; esac
  { _moby_args; _moby_config; } >"$MOBY_TB_DIR/dockerd.flags" || return 1
  rm -f "$MOBY_TB_DPID" "$MOBY_TB_SOCK"   # stale after a KILL; only we start this engine
  printf '\n=== %s testbed starts: dockerd %s\n' "$(date -Is)" "${args[*]}" >>"$MOBY_TB_LOG"
  # Our docker-proxy first on PATH too; containerd and its shim are Debian's (dockerd manages containerd).
  PATH="$MOBY_TB_BIN:$PATH" tb_daemon "$MOBY_TB_PID" "$MOBY_TB_LOG" "$MOBY_TB_BIN/dockerd" "${args[@]}"
  local end=$((SECONDS + 90))
  while [ $SECONDS -lt $end ]; do
    if _moby_answers; then _moby_guard_docker0; return; fi
    tb_pid_alive "$MOBY_TB_PID" || return 1
    sleep 0.5
  done
  _moby_stop; return 1
}

# The first engine's test images, by docker save | docker load when missing or different.
_moby_images() {
  local ref want have
  for ref in "${DOCKER_TB_REFS[@]}"; do
    want=$(_docker image inspect -f '{{.Id}}' "$ref" 2>/dev/null) || { tb_log "moby: image $ref missing on the first engine"; return 1; }
    have=$(_moby_docker image inspect -f '{{.Id}}' "$ref" 2>/dev/null || true)
    [ "$want" = "$have" ] && continue
    tb_log "moby: docker save $ref | docker load"
    _docker save "$ref" | _moby_docker load >/dev/null || return 1
  done
}

# A container runs (the runc this engine needs), and reaches another by name on a user network.
_moby_smoke() {
  local net="berth-testbed-mnet-$$" a="berth-testbed-ma-$$" ok=1
  if _moby_docker network create "$net" >/dev/null &&
     _moby_docker run -d --name "$a" --network "$net" berth-test/busybox:1 \
       sh -c 'mkdir -p /www && echo berth-moby-ok > /www/index.html && exec httpd -f -p 80 -h /www' >/dev/null &&
     _moby_docker run --rm --network "$net" berth-test/busybox:1 \
       sh -c "for i in 1 2 3 4 5 6 7 8 9 10; do timeout 2 wget -qO- http://$a/ && exit 0; sleep 0.3; done; exit 1" | grep -q berth-moby-ok
  then ok=0; fi
  _moby_docker rm -f "$a" >/dev/null 2>&1
  _moby_docker network rm "$net" >/dev/null 2>&1
  return $ok
}

moby_up() {
  _docker_answers || tb_fail moby "the first engine (component docker) must be up first"
  _moby_build
  mkdir -p "$MOBY_TB_DIR" || tb_fail moby "cannot create $MOBY_TB_DIR"
  _moby_bridge_up || tb_fail moby "cannot create bridge $MOBY_TB_BRIDGE with $MOBY_TB_BIP"
  _moby_rules add || tb_fail moby "cannot insert the DOCKER-USER rules for $MOBY_TB_SUBNET / $MOBY_TB_POOL"
  local fresh=0
  # Started by an older checkout with other flags or binaries: replace it.
  if tb_pid_alive "$MOBY_TB_PID" && [ "$(_moby_args; _moby_config)" != "$(cat "$MOBY_TB_DIR/dockerd.flags" 2>/dev/null)" ]; then
    tb_log "moby: running with other flags; restarting it"; _moby_stop
  fi
  if ! _moby_answers; then
    if tb_pid_alive "$MOBY_TB_PID"; then
      tb_wait 30 _moby_answers || { tb_log "moby: dockerd does not answer; restarting it"; _moby_stop; }
    fi
    if ! _moby_answers; then
      _moby_start || { tail -n 20 "$MOBY_TB_LOG" >&2; tb_fail moby "dockerd $MOBY_TB_VERSION did not start, or docker0 vanished (log: $MOBY_TB_LOG)"; }
      fresh=1
    fi
  fi
  _moby_images || tb_fail moby "cannot copy the test images into the moby engine"
  if [ "$fresh" = 1 ]; then
    _moby_smoke || tb_fail moby "containers do not run or cannot reach each other (log: $MOBY_TB_LOG)"
  fi
}

moby_status() {
  [ -x "$MOBY_TB_BIN/dockerd" ] && [ -x "$RUNC_TB_BIN/runc" ] || { echo "not built (opt-in: bash test/env/testbed.sh up moby)"; return 1; }
  _moby_answers || { echo "dockerd $MOBY_TB_VERSION not answering on $MOBY_TB_SOCK"; return 1; }
  ip link show docker0 >/dev/null 2>&1 || { echo "docker0 (the first engine's bridge) is missing"; return 1; }
  local v; v=$(_moby_docker version -f '{{.Server.Version}} API {{.Server.APIVersion}} (min {{.Server.MinAPIVersion}})' 2>/dev/null) || v="?"
  echo "dockerd $v, runc $RUNC_TB_VERSION, on $MOBY_TB_SOCK"
}

moby_down() {
  tb_pid_alive "$MOBY_TB_PID" || return 0
  # live-restore would keep them running without their engine: stop them first.
  local ids; ids=$(_moby_docker ps -q 2>/dev/null)
  [ -z "$ids" ] || _moby_docker stop $ids >/dev/null 2>&1 || true
  _moby_stop
  _moby_rules del
  ip link del "$MOBY_TB_BRIDGE" 2>/dev/null || true
}

# Only while it answers: BERTH_TEST_ENGINE=moby then fails with "run testbed.sh up moby" instead of
# connection errors against a socket nobody serves.
moby_env() {
  if _moby_answers; then echo "export BERTH_TEST_MOBY_HOST=unix://$MOBY_TB_SOCK"; else echo "# moby: not running (opt-in: bash test/env/testbed.sh up moby)"; fi
}
