# Component `engines`: three more Docker engines for multi-host tests (ContainerSet rollouts across
# hosts), each the same Debian dockerd as `docker`, with its own socket, data root, exec root, pid
# file, config file, pre-created bridge br-berthN and address pool. Exported by `env` as
# BERTH_TEST_DOCKER_HOSTS (space-separated DOCKER_HOST URLs). See test/env/README.md (## engines).
#
# Why each flag (checked on this machine):
# - --bridge=br-berthN on a bridge we create with its address: dockerd takes the bridge's address as
#   its default network. NEVER --bridge=none: dockerd then deletes docker0 and breaks every container
#   of the first engine.
# - --iptables=false: the first engine owns the host's netfilter rules; a second daemon rewriting
#   them would fight it. Ports are still published (docker-proxy). Because the first engine's FORWARD
#   policy is DROP and bridged traffic passes netfilter (br_netfilter), one DOCKER-USER ACCEPT rule
#   per bridge subnet and per address pool lets containers of an engine talk to each other.
# - --default-address-pool: user-defined networks of each engine get their own range, disjoint from
#   the first engine's (172.17-31.x, 192.168.x) and from each other.
# - --config-file: our own file, so a /etc/docker/daemon.json (hosts, bip...) cannot leak in.
# Every step checks its own result (set -e is off under testbed.sh's `||`).

ENGINES_TB_COUNT=3
ENGINES_TB_DIR="$BERTH_TESTBED_RUN/engines"
# Engine N: bridge br-berthN at 10.200.N.1/24; user-defined networks from 10.21N.0.0/16 in /24s.
_engines_bridge()  { printf 'br-berth%s\n' "$1"; }
_engines_bip()     { printf '10.200.%s.1/24\n' "$1"; }
_engines_subnet()  { printf '10.200.%s.0/24\n' "$1"; }
_engines_pool()    { printf '10.21%s.0.0/16\n' "$1"; }   # not 10.201.0.0/30: the netns component's
_engines_dir()     { printf '%s/e%s\n' "$ENGINES_TB_DIR" "$1"; }
_engines_sock()    { printf '%s/docker.sock\n' "$(_engines_dir "$1")"; }
_engines_host()    { printf 'unix://%s\n' "$(_engines_sock "$1")"; }
# Short and on /run: containerd's sockets live under it and socket paths are limited to 108 bytes.
_engines_exec()    { printf '/var/run/berth-engine-%s\n' "$1"; }
_engines_pid()     { printf '%s/dockerd.pid\n' "$(_engines_dir "$1")"; }   # ours (tb_daemon)
_engines_dpid()    { printf '%s/docker.pid\n' "$(_engines_dir "$1")"; }    # dockerd's own --pidfile
_engines_log()     { printf '%s/dockerd.log\n' "$(_engines_dir "$1")"; }

_engines_docker()  { local n="$1"; shift; DOCKER_HOST="$(_engines_host "$n")" timeout 60 docker "$@"; }
_engines_answers() { DOCKER_HOST="$(_engines_host "$1")" timeout 10 docker info --format '{{.ServerVersion}}' >/dev/null 2>&1; }

# The bridge with its address, up. Idempotent.
_engines_bridge_up() {
  local n="$1" br bip; br=$(_engines_bridge "$n"); bip=$(_engines_bip "$n")
  ip link show "$br" >/dev/null 2>&1 || ip link add "$br" type bridge || return 1
  ip -4 addr show dev "$br" | grep -q " ${bip} " || ip addr add "$bip" dev "$br" || return 1
  ip link set "$br" up
}

# The DOCKER-USER rules (subnet->subnet, pool->pool), each inserted once. Without the first engine's
# chain (a daemon run with --iptables=false installs none) there is no DROP to get past.
_engines_rules() {
  local op="$1" n="$2" net
  iptables -S DOCKER-USER >/dev/null 2>&1 || return 0
  for net in "$(_engines_subnet "$n")" "$(_engines_pool "$n")"; do
    if [ "$op" = add ]; then
      iptables -C DOCKER-USER -s "$net" -d "$net" -j ACCEPT 2>/dev/null ||
        iptables -I DOCKER-USER -s "$net" -d "$net" -j ACCEPT || return 1
    else
      while iptables -C DOCKER-USER -s "$net" -d "$net" -j ACCEPT 2>/dev/null; do
        iptables -D DOCKER-USER -s "$net" -d "$net" -j ACCEPT || break
      done
    fi
  done
}
_engines_rules_present() {
  local n="$1" net
  iptables -S DOCKER-USER >/dev/null 2>&1 || return 0
  for net in "$(_engines_subnet "$n")" "$(_engines_pool "$n")"; do
    iptables -C DOCKER-USER -s "$net" -d "$net" -j ACCEPT 2>/dev/null || return 1
  done
}

# Stop engine N by our pid: TERM, up to 45 s (its containers get 10 s each), then KILL.
_engines_stop() {
  local pidfile; pidfile=$(_engines_pid "$1")
  tb_pid_alive "$pidfile" || { rm -f "$pidfile"; return 0; }
  local pid; pid=$(cat "$pidfile"); kill -TERM "$pid" 2>/dev/null
  for _ in $(seq 1 90); do kill -0 "$pid" 2>/dev/null || break; sleep 0.5; done
  tb_stop_pid "$pidfile"
}

# Engine N's dockerd arguments, one a line.
_engines_args() {
  local n="$1" dir; dir=$(_engines_dir "$n")
  printf '%s\n' --host "$(_engines_host "$n")" --data-root "$dir/data" --exec-root "$(_engines_exec "$n")" \
    --pidfile "$(_engines_dpid "$n")" --config-file "$dir/daemon.json" \
    --bridge "$(_engines_bridge "$n")" --iptables=false --default-address-pool "base=$(_engines_pool "$n"),size=24"
}

# Engine N's daemon.json.
# - "live-restore": true is what keeps docker0 alive. dockerd 20.10, starting with a data root that
#   already has a "bridge" network, deletes it and -- when default address pools are set and
#   live-restore is off -- also deletes the link named docker0 (the default name, whatever --bridge
#   says): a restarted extra engine would break every container of the first engine (seen here).
#   Side effect: containers keep running while their engine is stopped; `down` stops them first.
# - "deprecated-key-path" (config file only) is the key the engine ID comes from: without it all
#   engines share /etc/docker/key.json, hence the first engine's ID.
_engines_config() {
  printf '{ "live-restore": true, "deprecated-key-path": "%s/key.json" }\n' "$(_engines_dir "$1")"
}

# docker0 is the first engine's: if it is gone after an extra engine started, put it back (same
# address as the first engine's bridge network) and fail loudly, since that must never happen.
_engines_guard_docker0() {
  ip link show docker0 >/dev/null 2>&1 && return 0
  local gw; gw=$(_docker network inspect -f '{{(index .IPAM.Config 0).Gateway}}' bridge 2>/dev/null)
  tb_log "engines: docker0 vanished after e$1 started; recreating it with ${gw:-172.17.0.1}/16"
  ip link add docker0 type bridge && ip addr add "${gw:-172.17.0.1}/16" dev docker0 && ip link set docker0 up
  return 1
}

_engines_start() {
  local n="$1" dir; dir=$(_engines_dir "$n")
  mkdir -p "$dir/data" || return 1
  _engines_config "$n" >"$dir/daemon.json" || return 1
  # dockerd refuses to start when its pid file names a live process; a stale one (after a KILL) may
  # name a reused pid. Only we start this engine, and ours is not alive here, so it is stale.
  rm -f "$(_engines_dpid "$n")" "$(_engines_sock "$n")"
  local args=(); mapfile -t args < <(_engines_args "$n")
  { _engines_args "$n"; _engines_config "$n"; } >"$dir/dockerd.flags" || return 1
  printf '\n=== %s testbed starts: dockerd %s\n' "$(date -Is)" "${args[*]}" >>"$(_engines_log "$n")"
  tb_daemon "$(_engines_pid "$n")" "$(_engines_log "$n")" dockerd "${args[@]}"
  local end=$((SECONDS + 60))
  while [ $SECONDS -lt $end ]; do
    if _engines_answers "$n"; then _engines_guard_docker0 "$n"; return; fi
    tb_pid_alive "$(_engines_pid "$n")" || return 1
    sleep 0.5
  done
  _engines_stop "$n"; return 1
}

# The first engine's test images, copied by `docker save | docker load` when missing or different
# (same image id = same content, so a rebuilt tarball is copied again).
_engines_images() {
  local n="$1" ref want have
  for ref in "${DOCKER_TB_REFS[@]}"; do
    want=$(_docker image inspect -f '{{.Id}}' "$ref" 2>/dev/null) || { tb_log "engines: image $ref missing on the first engine"; return 1; }
    have=$(_engines_docker "$n" image inspect -f '{{.Id}}' "$ref" 2>/dev/null || true)
    [ "$want" = "$have" ] && continue
    tb_log "engines: e$n: docker save $ref | docker load"
    _docker save "$ref" | _engines_docker "$n" load >/dev/null || return 1
  done
}

# What multi-host tests need of an engine: a container on its default bridge reaching another by IP,
# and on a user-defined network by name.
_engines_smoke() {
  local n="$1" net="berth-testbed-enet-$$" a="berth-testbed-ea-$$" ok=1 ip
  _engines_docker "$n" rm -f "$a" >/dev/null 2>&1
  _engines_docker "$n" network rm "$net" >/dev/null 2>&1
  if _engines_docker "$n" network create "$net" >/dev/null &&
     _engines_docker "$n" run -d --name "$a" --network "$net" berth-test/busybox:1 \
       sh -c 'mkdir -p /www && echo berth-engine-ok > /www/index.html && exec httpd -f -p 80 -h /www' >/dev/null &&
     _engines_docker "$n" run --rm --network "$net" berth-test/busybox:1 \
       sh -c "for i in 1 2 3 4 5 6 7 8 9 10; do timeout 2 wget -qO- http://$a/ && exit 0; sleep 0.3; done; exit 1" | grep -q berth-engine-ok &&
     _engines_docker "$n" network connect bridge "$a" &&
     ip=$(_engines_docker "$n" inspect -f '{{.NetworkSettings.Networks.bridge.IPAddress}}' "$a") && [ -n "$ip" ] &&
     _engines_docker "$n" run --rm berth-test/busybox:1 sh -c "timeout 3 wget -qO- http://$ip/" | grep -q berth-engine-ok
  then ok=0; fi
  _engines_docker "$n" rm -f "$a" >/dev/null 2>&1
  _engines_docker "$n" network rm "$net" >/dev/null 2>&1
  return $ok
}

engines_up() {
  _docker_answers || tb_fail engines "the first engine (component docker) must be up first"
  mkdir -p "$ENGINES_TB_DIR" || tb_fail engines "cannot create $ENGINES_TB_DIR"
  local n fresh old
  # Pools were 10.20N.0.0/16 at first, which overlaps the netns component: drop their old rules.
  for old in 10.201.0.0/16 10.202.0.0/16 10.203.0.0/16; do
    while iptables -C DOCKER-USER -s "$old" -d "$old" -j ACCEPT 2>/dev/null; do iptables -D DOCKER-USER -s "$old" -d "$old" -j ACCEPT || break; done
  done
  for n in $(seq 1 "$ENGINES_TB_COUNT"); do
    fresh=0
    _engines_bridge_up "$n" || tb_fail engines "cannot create bridge $(_engines_bridge "$n") with $(_engines_bip "$n")"
    _engines_rules add "$n" || tb_fail engines "cannot insert the DOCKER-USER rules for e$n"
    # Started by an older checkout with other flags: replace it, so every engine runs these flags.
    if tb_pid_alive "$(_engines_pid "$n")" && [ "$(_engines_args "$n"; _engines_config "$n")" != "$(cat "$(_engines_dir "$n")/dockerd.flags" 2>/dev/null)" ]; then
      tb_log "engines: e$n runs with other flags; restarting it"; _engines_stop "$n"
    fi
    if ! _engines_answers "$n"; then
      if tb_pid_alive "$(_engines_pid "$n")"; then
        tb_wait 30 _engines_answers "$n" || { tb_log "engines: e$n does not answer; restarting it"; _engines_stop "$n"; }
      fi
      # Started by an older checkout with other flags: replace it, so every engine runs these flags.
    if tb_pid_alive "$(_engines_pid "$n")" && [ "$(_engines_args "$n"; _engines_config "$n")" != "$(cat "$(_engines_dir "$n")/dockerd.flags" 2>/dev/null)" ]; then
      tb_log "engines: e$n runs with other flags; restarting it"; _engines_stop "$n"
    fi
    if ! _engines_answers "$n"; then
        _engines_start "$n" || tb_fail engines "dockerd e$n did not start, or docker0 vanished (log: $(_engines_log "$n"))"
        fresh=1
      fi
    fi
    _engines_images "$n" || tb_fail engines "cannot copy the test images into e$n"
    # The smoke run costs ~3 s an engine: on a fresh start only; `status` checks the cheap parts.
    if [ "$fresh" = 1 ]; then
      _engines_smoke "$n" || tb_fail engines "e$n: containers cannot reach each other (log: $(_engines_log "$n"))"
    fi
  done
}

engines_status() {
  local n out=() ref
  for n in $(seq 1 "$ENGINES_TB_COUNT"); do
    _engines_answers "$n" || { echo "e$n: dockerd not answering on $(_engines_sock "$n")"; return 1; }
    ip link show "$(_engines_bridge "$n")" 2>/dev/null | grep -q 'state UP\|,UP' || { echo "e$n: bridge $(_engines_bridge "$n") is not up"; return 1; }
    _engines_rules_present "$n" || { echo "e$n: DOCKER-USER rules for $(_engines_subnet "$n") / $(_engines_pool "$n") missing"; return 1; }
    for ref in "${DOCKER_TB_REFS[@]}"; do
      _engines_docker "$n" image inspect "$ref" >/dev/null 2>&1 || { echo "e$n: image $ref missing"; return 1; }
    done
    out+=("e$n")
  done
  echo "${#out[@]} extra dockerd engines (${out[*]}) on $ENGINES_TB_DIR/e*/docker.sock, bridges br-berth1..$ENGINES_TB_COUNT"
}

engines_down() {
  local n
  for n in $(seq 1 "$ENGINES_TB_COUNT"); do
    tb_pid_alive "$(_engines_pid "$n")" || continue
    # live-restore would keep them running without their engine: stop them first.
    local ids; ids=$(_engines_docker "$n" ps -q 2>/dev/null)
    [ -z "$ids" ] || _engines_docker "$n" stop $ids >/dev/null 2>&1 || true
    _engines_stop "$n"
    _engines_rules del "$n"
    ip link del "$(_engines_bridge "$n")" 2>/dev/null || true
  done
}

engines_env() {
  local n hosts=()
  for n in $(seq 1 "$ENGINES_TB_COUNT"); do hosts+=("$(_engines_host "$n")"); done
  echo "export BERTH_TEST_DOCKER_HOSTS='${hosts[*]}'"
}

# For chaos tests: stop extra engine N (TERM) and start it again with the same flags. Its containers
# keep running meanwhile (live-restore). Refuses an engine the bed did not start.
engines_restart_daemon() {
  local n="$1"
  tb_pid_alive "$(_engines_pid "$n")" || tb_fail engines "e$n was not started by the test bed; not restarting it"
  _engines_stop "$n"
  _engines_start "$n" || tb_fail engines "e$n did not come back after a restart, or docker0 vanished (log: $(_engines_log "$n"))"
}
