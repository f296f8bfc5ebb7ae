# Component `podman`: Debian's Podman (4.3) serving its Docker-compatible API on a socket of its own,
# so the agent's runtime tests can run against a second engine (BERTH_TEST_ENGINE=podman, see
# test/support/testbed.ts and `npm run test:podman`). Rootful, with storage, run state and config
# all under $BERTH_TESTBED_RUN/podman: it shares nothing with the bed's dockerd (its own images,
# containers, networks). The distro's podman.socket unit is never used. See test/env/README.md (## podman).
# Sourced by testbed.sh after docker.sh (reuses its busybox rootfs tarballs); defines podman_up/_status/_down/_env.

PODMAN_TB_DIR="$BERTH_TESTBED_RUN/podman"
PODMAN_TB_SOCK="$PODMAN_TB_DIR/podman.sock"
PODMAN_TB_PID="$PODMAN_TB_DIR/podman.pid"
PODMAN_TB_LOG="$PODMAN_TB_DIR/podman.log"

# Podman with the bed's own storage and config (never /var/lib/containers or /etc/containers).
_podman() {
  CONTAINERS_CONF="$PODMAN_TB_DIR/containers.conf" CONTAINERS_REGISTRIES_CONF="$PODMAN_TB_DIR/registries.conf" \
    podman --root "$PODMAN_TB_DIR/root" --runroot "$PODMAN_TB_DIR/runroot" "$@"
}

_podman_config() {
  mkdir -p "$PODMAN_TB_DIR" || return 1
  # Podman raises nofile/nproc to its own defaults (1048576); this VM's hard limits are lower and
  # runc then fails with "error setting rlimit type 7: operation not permitted". Stay within them.
  # Soft = hard on purpose: podman 4.3 swaps soft and hard of default_ulimits (inspect shows
  # Soft:20000 Hard:1024 for "nofile=1024:20000"), which runc refuses with "invalid argument".
  local nofile; nofile=$(ulimit -Hn)
  cat >"$PODMAN_TB_DIR/containers.conf.new" <<EOF
# Written by test/env/podman.sh; rewritten on every \`up\`.
[containers]
default_ulimits = ["nofile=$nofile:$nofile", "nproc=4096:4096"]
EOF
  _podman_conf_swap containers.conf || return 1
  # The bed's registry is plain HTTP on loopback: podman needs it listed as insecure (dockerd does not).
  cat >"$PODMAN_TB_DIR/registries.conf.new" <<EOF
# Written by test/env/podman.sh; rewritten on every \`up\`.
unqualified-search-registries = []
short-name-mode = "permissive"
[[registry]]
location = "127.0.0.1:5000"
insecure = true
EOF
  _podman_conf_swap registries.conf
}

# Put FILE.new in place; a changed config marks the running service for a restart (it reads its
# config only at start).
_podman_conf_swap() { local f="$PODMAN_TB_DIR/$1"
  if cmp -s "$f.new" "$f"; then rm -f "$f.new"; else mv "$f.new" "$f" && touch "$PODMAN_TB_DIR/.restart"; fi
}

_podman_answers() { curl -sf -m 3 --unix-socket "$PODMAN_TB_SOCK" http://d/_ping >/dev/null 2>&1; }

# The real health check: create, start, wait for and remove a tiny container through the Docker API
# the tests use. `/_ping` keeps answering when Podman can no longer start anything (seen after hours:
# HTTP 500 "write child: broken pipe" on every start, because conmon inherited a working directory
# that was deleted). Silent when healthy; prints why otherwise.
_podman_runs_container() {
  local api="http://d/v1.41" name="berth-testbed-health-$$-$RANDOM" out id code rc=0
  out=$(curl -s -m 30 --unix-socket "$PODMAN_TB_SOCK" -H 'Content-Type: application/json' \
    -d '{"Image":"berth-test/busybox:1","Cmd":["true"],"HostConfig":{"NetworkMode":"none"}}' \
    "$api/containers/create?name=$name" 2>&1)
  id=$(printf '%s' "$out" | sed -n 's/.*"Id":"\([0-9a-f]*\)".*/\1/p')
  [ -n "$id" ] || { echo "cannot create a container: ${out:-no answer}"; return 1; }
  out=$(curl -s -m 30 -w '\n%{http_code}' --unix-socket "$PODMAN_TB_SOCK" -X POST "$api/containers/$id/start" 2>&1)
  code=${out##*$'\n'}
  if [ "$code" != 204 ]; then echo "cannot start a container: HTTP $code ${out%$'\n'*}"; rc=1
  else
    out=$(curl -s -m 30 --unix-socket "$PODMAN_TB_SOCK" -X POST "$api/containers/$id/wait" 2>&1)
    case "$out" in *'"StatusCode":0'*) ;; *) echo "a container running \`true\` did not exit 0: ${out:-no answer}"; rc=1 ;; esac
  fi
  curl -s -m 30 -o /dev/null --unix-socket "$PODMAN_TB_SOCK" -X DELETE "$api/containers/$id?force=1" || true
  return $rc
}

_podman_start() {
  tb_stop_pid "$PODMAN_TB_PID"; rm -f "$PODMAN_TB_SOCK" "$PODMAN_TB_DIR/.restart"
  # --time=0: the service never exits on idle (its default is 5 s).
  CONTAINERS_CONF="$PODMAN_TB_DIR/containers.conf" CONTAINERS_REGISTRIES_CONF="$PODMAN_TB_DIR/registries.conf" \
    tb_daemon "$PODMAN_TB_PID" "$PODMAN_TB_LOG" podman --root "$PODMAN_TB_DIR/root" --runroot "$PODMAN_TB_DIR/runroot" \
    system service --time=0 "unix://$PODMAN_TB_SOCK"
  tb_wait 30 _podman_answers || { tail -n 20 "$PODMAN_TB_LOG" >&2; tb_fail podman "the API service does not answer on $PODMAN_TB_SOCK (log: $PODMAN_TB_LOG)"; }
}

# The same busybox test images as dockerd's (same tarballs, same marker files, same tags).
_podman_images() {
  local ver tar
  for ver in 1 2; do
    _podman image exists "berth-test/busybox:$ver" && continue
    tar=$(_docker_rootfs "$ver") || { tb_log "podman: cannot build the busybox rootfs tarball"; return 1; }
    tb_log "podman: importing berth-test/busybox:$ver from $tar"
    _podman import --change 'CMD ["sh"]' \
      --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
      --change "LABEL org.berth.test-image=$ver" "$tar" "berth-test/busybox:$ver" >/dev/null || return 1
  done
  _podman image exists busybox:latest || _podman tag berth-test/busybox:1 busybox:latest || return 1
}

podman_up() {
  # catatonit: the init process for `init: true`; dnsname: name resolution on user networks (CNI backend).
  tb_apt_install podman catatonit golang-github-containernetworking-plugin-dnsname busybox-static curl ||
    tb_fail podman "apt-get install podman catatonit dnsname failed"
  _podman_config || tb_fail podman "cannot write the config in $PODMAN_TB_DIR"
  if [ -f "$PODMAN_TB_DIR/.restart" ] || ! { tb_pid_alive "$PODMAN_TB_PID" && tb_wait 10 _podman_answers; }; then
    _podman_start
  fi
  _podman_images || tb_fail podman "importing the test images failed"
  # A service that answers but cannot run a container is sick: restart it once (its containers keep
  # running under conmon), then it must pass.
  local why
  if ! why=$(_podman_runs_container); then
    tb_log "podman: the service answers but is sick ($why); restarting it"
    _podman_start
    why=$(_podman_runs_container) || { tail -n 20 "$PODMAN_TB_LOG" >&2; tb_fail podman "still cannot run a container after a restart: $why (log: $PODMAN_TB_LOG)"; }
  fi
}

# Healthy = the service answers /_ping on its socket, runs a container and reports its version.
podman_status() {
  tb_pid_alive "$PODMAN_TB_PID" || { echo "not running (no live pid in $PODMAN_TB_PID)"; return 1; }
  _podman_answers || { echo "pid $(cat "$PODMAN_TB_PID") does not answer on $PODMAN_TB_SOCK"; return 1; }
  local why; why=$(_podman_runs_container) || { echo "answers but is sick: $why (\`testbed.sh up podman\` restarts it)"; return 1; }
  local v; v=$(curl -s -m 3 --unix-socket "$PODMAN_TB_SOCK" http://d/version | sed -n 's/.*"ApiVersion":"\([^"]*\)".*/\1/p')
  echo "podman $(podman --version | awk '{print $3}') (Docker API $v) on unix://$PODMAN_TB_SOCK"
}

# Stops the service by its pid. Containers it started keep running under conmon; `up` finds them again.
podman_down() { tb_stop_pid "$PODMAN_TB_PID"; }

podman_env() { echo "export BERTH_TEST_PODMAN_HOST=unix://$PODMAN_TB_SOCK"; }
