# Component `docker`: Debian's dockerd (docker.io 20.10) on the standard socket, plus the test images,
# made locally from Debian's busybox-static because no image registry is reachable. Sourced by
# testbed.sh; see test/env/README.md (## docker).
#
# Note: testbed.sh runs `( docker_up ) || tb_fail ...`, and bash ignores `set -e` inside a command
# that is the left side of `||`. So every step here checks its own result explicitly.

DOCKER_TB_SOCK=/var/run/docker.sock
DOCKER_TB_HOST="unix://$DOCKER_TB_SOCK"
DOCKER_TB_DIR="$BERTH_TESTBED_RUN/docker"
DOCKER_TB_PID="$DOCKER_TB_DIR/dockerd.pid"
DOCKER_TB_LOG="$DOCKER_TB_DIR/dockerd.log"
DOCKER_TB_FLAGS="$DOCKER_TB_DIR/dockerd.flags"    # the flag set the running dockerd got; restarts reuse it
DOCKER_TB_IMAGES="$BERTH_TESTBED_CACHE/images"    # rootfs tarballs, kept across runs
DOCKER_TB_REFS=(berth-test/busybox:1 berth-test/busybox:2 busybox:latest)
# The base image Berth's own Dockerfiles build on here (packaging/, ARG BASE_IMAGE): this machine's
# node binary and the shared libraries it links, nothing else (no shell, no package manager).
DOCKER_TB_NODE_BASE=berth-base/node

# Flag sets tried in order until dockerd starts AND a container with a published port answers on
# 127.0.0.1. This VM takes the first (overlay2, default bridge, iptables via nft); the others are for
# sandboxes that forbid overlay mounts or netfilter. With --iptables=false docker-proxy still
# publishes ports; only the last rung (--bridge=none) loses port publishing, so it is never tried
# automatically: set BERTH_TESTBED_DOCKERD_FLAGS to force any flag set by hand.
DOCKER_TB_LADDER=(
  ""
  "--iptables=false"
  "--storage-driver=vfs"
  "--storage-driver=vfs --iptables=false"
)

# The CLI on PATH may be newer than the daemon (here /usr/local/bin/docker 28.x against dockerd
# 20.10): it negotiates API 1.41 by itself. The timeout keeps a wedged daemon from hanging `up`.
_docker() { DOCKER_HOST="$DOCKER_TB_HOST" timeout 60 docker "$@"; }
_docker_answers() { DOCKER_HOST="$DOCKER_TB_HOST" timeout 10 docker info --format '{{.ServerVersion}}' >/dev/null 2>&1; }

# Stop the dockerd we started. dockerd first stops its containers (10 s grace each, in parallel), which
# can outlast tb_stop_pid's 10 s grace; so TERM and wait up to 45 s ourselves, then let tb_stop_pid KILL.
_docker_stop() {
  tb_pid_alive "$DOCKER_TB_PID" || { rm -f "$DOCKER_TB_PID"; return 0; }
  local pid; pid=$(cat "$DOCKER_TB_PID")
  kill -TERM "$pid" 2>/dev/null
  for _ in $(seq 1 90); do kill -0 "$pid" 2>/dev/null || break; sleep 0.5; done
  tb_stop_pid "$DOCKER_TB_PID"
  _docker_wait_shims
}

# The containerd shims of this engine's containers outlive dockerd by a moment. A dockerd started
# again while one is still there fails to start that container ("failed to start shim: mkdir ...
# file exists"), and Docker then reports it dead -- which a restart test would read as Berth's
# doing. Wait (up to 30 s) until the shims bound to this engine's containerd are gone.
_docker_wait_shims() {
  local address="/var/run/docker/containerd/containerd.sock" left=""
  for _ in $(seq 1 60); do
    left=$(pgrep -f -- "containerd-shim.*-address $address" || true)
    [ -z "$left" ] && return 0
    sleep 0.5
  done
  tb_log "docker: containerd shims still running 30 s after dockerd stopped (pids: $(echo $left)); starting anyway"
}

# Start dockerd with FLAGS (one string); 0 once `docker info` answers, 1 if it died or never answered.
_docker_start() {
  local flags=() ; read -ra flags <<<"$1"
  mkdir -p "$DOCKER_TB_DIR"
  printf '\n=== %s testbed starts: dockerd --host %s %s\n' "$(date -Is)" "$DOCKER_TB_HOST" "$1" >>"$DOCKER_TB_LOG"
  tb_daemon "$DOCKER_TB_PID" "$DOCKER_TB_LOG" dockerd --host "$DOCKER_TB_HOST" "${flags[@]}"
  local end=$((SECONDS + 60))
  while [ $SECONDS -lt $end ]; do
    _docker_answers && return 0
    tb_pid_alive "$DOCKER_TB_PID" || return 1      # exited: this flag set does not work here
    sleep 0.5
  done
  _docker_stop; return 1
}

# Path of the rootfs tarball for test image VERSION (1 or 2), built once per busybox-static version.
# busybox + a symlink per applet at its usual path, /etc/passwd with root and nobody, /tmp, and a
# marker file /berth-image-version so tests can tell the two images apart. Deterministic (sorted,
# fixed mtime and owners) so the layer digest is the same on every rebuild.
_docker_rootfs() {
  local ver="$1" bbver root
  bbver=$(dpkg-query -W -f='${Version}' busybox-static 2>/dev/null | tr -c 'A-Za-z0-9.\n' '_') || return 1
  local tar="$DOCKER_TB_IMAGES/busybox-${bbver}-v${ver}.tar"
  if [ ! -s "$tar" ]; then
    mkdir -p "$DOCKER_TB_IMAGES" || return 1
    root=$(mktemp -d "$DOCKER_TB_IMAGES/rootfs.XXXXXX") || return 1
    mkdir -p "$root"/{bin,sbin,usr/bin,usr/sbin,etc,root,tmp,var/tmp,home} &&
      cp /bin/busybox "$root/bin/busybox" || { rm -rf "$root"; return 1; }
    local p
    while read -r p; do
      case "$p" in */*) [ -e "$root/$p" ] || ln -s /bin/busybox "$root/$p" ;; esac   # skip /linuxrc
    done < <(/bin/busybox --list-full)
    printf 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n' >"$root/etc/passwd"
    printf 'root:x:0:\nnogroup:x:65534:\n' >"$root/etc/group"
    printf '%s\n' "$ver" >"$root/berth-image-version"
    chmod 1777 "$root/tmp" "$root/var/tmp"; chmod 700 "$root/root"
    tar --sort=name --mtime=@0 --owner=0 --group=0 --numeric-owner -C "$root" -cf "$tar.tmp" . &&
      mv "$tar.tmp" "$tar" || { rm -rf "$root" "$tar.tmp"; return 1; }
    rm -rf "$root"
  fi
  printf '%s\n' "$tar"
}

# The node base image's tag: the node version (e.g. 20.20.2) and the machine's architecture, and
# "-stripped" when binutils' strip is here to drop the binary's symbol table and debug info (Debian's
# node 20 carries both: 99 MB -> 86 MB; the code and data V8 runs are the same bytes).
_docker_node_tag() {
  local node ver; node=$(command -v node) || return 1
  ver=$("$node" --version 2>/dev/null) || return 1
  printf '%s:%s-%s%s\n' "$DOCKER_TB_NODE_BASE" "${ver#v}" "$(uname -m)" "$(command -v strip >/dev/null && echo -stripped)"
}

# Path of the node base rootfs tarball: the machine's node binary at /usr/local/bin/node, each shared
# library `ldd` lists at the path the loader looks for it, /etc/passwd and /etc/group with root,
# nobody and the non-root user the images run as (nonroot, 65532, as in distroless images), a
# world-writable /tmp, and the CA bundle (/etc/ssl/certs/ca-certificates.crt) if the machine has
# one. Deterministic like the busybox tarballs (sorted, fixed mtime and owners).
_docker_node_rootfs() {
  local node tag tar root lib
  node=$(readlink -f "$(command -v node)") || return 1
  tag=$(_docker_node_tag) || return 1
  tar="$DOCKER_TB_IMAGES/node-base-${tag##*:}.tar"
  if [ ! -s "$tar" ]; then
    mkdir -p "$DOCKER_TB_IMAGES" || return 1
    root=$(mktemp -d "$DOCKER_TB_IMAGES/node-rootfs.XXXXXX") || return 1
    mkdir -p "$root"/{usr/local/bin,etc/ssl/certs,tmp,home/nonroot,app} &&
      cp "$node" "$root/usr/local/bin/node" || { rm -rf "$root"; return 1; }
    # --strip-all keeps .dynsym (native addons still link against node's exported symbols).
    if [[ "$tag" == *-stripped ]]; then strip --strip-all "$root/usr/local/bin/node" || { rm -rf "$root"; return 1; }; fi
    # `ldd` prints "name => /path (addr)" and the loader as "/path (addr)"; vdso has no file.
    while read -r lib; do
      [ -n "$lib" ] || continue
      mkdir -p "$root$(dirname "$lib")" && cp -L "$lib" "$root$lib" || { rm -rf "$root"; return 1; }
    done < <(ldd "$node" | sed -nE 's#.*=> (/[^ ]+) .*#\1#p; s#^[[:space:]]*(/[^ ]+) .*#\1#p' | sort -u)
    printf 'root:x:0:0:root:/root:/sbin/nologin\nnobody:x:65534:65534:nobody:/nonexistent:/sbin/nologin\nnonroot:x:65532:65532:nonroot:/home/nonroot:/sbin/nologin\n' >"$root/etc/passwd"
    printf 'root:x:0:\nnogroup:x:65534:\nnonroot:x:65532:\n' >"$root/etc/group"
    [ -f /etc/ssl/certs/ca-certificates.crt ] && cp -L /etc/ssl/certs/ca-certificates.crt "$root/etc/ssl/certs/"
    chmod 755 "$root"; chmod 1777 "$root/tmp"; chown 65532:65532 "$root/home/nonroot"
    tar --sort=name --mtime=@0 --numeric-owner -C "$root" -cf "$tar.tmp" . &&
      mv "$tar.tmp" "$tar" || { rm -rf "$root" "$tar.tmp"; return 1; }
    rm -rf "$root"
  fi
  printf '%s\n' "$tar"
}

# Import the node base image if it is missing; also tag it <repo>:latest for Dockerfile defaults.
_docker_node_base() {
  local tag tar
  tag=$(_docker_node_tag) || { tb_log "docker: no node binary on PATH for the node base image"; return 1; }
  if ! _docker image inspect "$tag" >/dev/null 2>&1; then
    tar=$(_docker_node_rootfs) || { tb_log "docker: cannot build the node base rootfs tarball"; return 1; }
    tb_log "docker: importing $tag from $tar"
    _docker import --change 'ENV PATH=/usr/local/bin:/usr/bin:/bin' --change 'USER 65532:65532' \
      --change 'WORKDIR /app' --change 'ENTRYPOINT ["/usr/local/bin/node"]' \
      --change "LABEL org.berth.base-image=node" "$tar" "$tag" >/dev/null || return 1
  fi
  _docker tag "$tag" "$DOCKER_TB_NODE_BASE:latest" || return 1
}

# Import the test images that are missing (cheap when they are all there).
_docker_images() {
  local ver tar
  for ver in 1 2; do
    _docker image inspect "berth-test/busybox:$ver" >/dev/null 2>&1 && continue
    tar=$(_docker_rootfs "$ver") || { tb_log "docker: cannot build the busybox rootfs tarball"; return 1; }
    tb_log "docker: importing berth-test/busybox:$ver from $tar"
    _docker import --change 'CMD ["sh"]' \
      --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
      --change "LABEL org.berth.test-image=$ver" "$tar" "berth-test/busybox:$ver" >/dev/null || return 1
  done
  _docker image inspect busybox:latest >/dev/null 2>&1 || _docker tag berth-test/busybox:1 busybox:latest || return 1
  _docker_node_base || return 1
}

# What Berth needs from the daemon: a container on the default bridge publishing a host port that
# answers on 127.0.0.1. Proves storage driver, veth/bridge, iptables and docker-proxy in one go.
_docker_smoke() {
  local name="berth-testbed-smoke-$$" port body ok=1
  _docker rm -f "$name" >/dev/null 2>&1
  _docker run -d --name "$name" -p 127.0.0.1::80 berth-test/busybox:1 \
    sh -c 'mkdir -p /www && echo berth-smoke-ok > /www/index.html && exec httpd -f -p 80 -h /www' >/dev/null 2>&1 || {
      _docker rm -f "$name" >/dev/null 2>&1; return 1; }
  port=$(_docker port "$name" 80/tcp 2>/dev/null | head -n1); port="${port##*:}"
  for _ in $(seq 1 20); do
    body=$(curl -s -m 2 "http://127.0.0.1:$port/" 2>/dev/null) && [ "$body" = berth-smoke-ok ] && { ok=0; break; }
    sleep 0.25
  done
  _docker rm -f "$name" >/dev/null 2>&1
  return $ok
}

docker_up() {
  mkdir -p "$DOCKER_TB_DIR" || tb_fail docker "cannot create $DOCKER_TB_DIR"

  # A daemon already answering (ours from an earlier `up`, or one the machine runs) is reused.
  # Only busybox-static is needed then; installing docker.io could clash with a docker-ce there.
  if _docker_answers; then
    tb_apt_install busybox-static curl || tb_fail docker "apt-get install busybox-static failed"
    _docker_images || tb_fail docker "cannot import the test images into the running dockerd (log: $DOCKER_TB_LOG)"
    return 0
  fi

  tb_apt_install docker.io containerd runc iptables busybox-static curl ||
    tb_fail docker "apt-get install docker.io containerd runc iptables busybox-static failed"

  # Ours but not answering yet (still starting, or wedged): give it a moment, then replace it.
  if tb_pid_alive "$DOCKER_TB_PID"; then
    tb_wait 30 _docker_answers && { _docker_images || tb_fail docker "cannot import the test images"; return 0; }
    tb_log "docker: dockerd pid $(cat "$DOCKER_TB_PID") does not answer; restarting it"
    _docker_stop
  fi
  # Someone else's dockerd holds /var/run/docker.pid but does not answer: a second one cannot start.
  if [ -f /var/run/docker.pid ] && kill -0 "$(cat /var/run/docker.pid)" 2>/dev/null; then
    tb_fail docker "a dockerd not started by the test bed (pid $(cat /var/run/docker.pid)) runs but does not answer on $DOCKER_TB_SOCK"
  fi

  # The whole ladder every time (a failing rung costs a second or two: dockerd exits at once), so a
  # fallback taken once, or flags forced once, never stick.
  local ladder=("${DOCKER_TB_LADDER[@]}") flags
  [ -n "${BERTH_TESTBED_DOCKERD_FLAGS+x}" ] && ladder=("$BERTH_TESTBED_DOCKERD_FLAGS")
  for flags in "${ladder[@]}"; do
    tb_log "docker: starting dockerd ${flags:-(default flags)}"
    if _docker_start "$flags"; then
      if _docker_images && _docker_smoke; then
        printf '%s\n' "$flags" >"$DOCKER_TB_FLAGS"
        return 0
      fi
      tb_log "docker: dockerd ${flags:-(default flags)} starts, but importing the images or a published-port container fails; trying the next flag set"
      _docker_stop
    fi
  done
  tb_fail docker "dockerd would not run a port-publishing container with any flag set ($(grep -E 'level=(fatal|error)' "$DOCKER_TB_LOG" 2>/dev/null | tail -n1 | cut -c1-200)); log: $DOCKER_TB_LOG"
}

docker_status() {
  local info ref who=external
  info=$(DOCKER_HOST="$DOCKER_TB_HOST" timeout 10 docker info --format '{{.ServerVersion}} {{.Driver}}' 2>/dev/null) ||
    { echo "dockerd not answering on $DOCKER_TB_SOCK"; return 1; }
  for ref in "${DOCKER_TB_REFS[@]}" "$(_docker_node_tag)"; do
    _docker image inspect "$ref" >/dev/null 2>&1 || { echo "dockerd $info answers but image $ref is missing"; return 1; }
  done
  tb_pid_alive "$DOCKER_TB_PID" && who="pid $(cat "$DOCKER_TB_PID")"
  echo "dockerd $info on $DOCKER_TB_SOCK ($who), test images present"
}

docker_down() {
  if tb_pid_alive "$DOCKER_TB_PID"; then _docker_stop
  else rm -f "$DOCKER_TB_PID"; fi   # a daemon we did not start is left alone
}

docker_env() {
  echo "export DOCKER_HOST=$DOCKER_TB_HOST"
  echo "export BERTH_TEST_IMAGE=berth-test/busybox:1"
  echo "export BERTH_TEST_IMAGE_2=berth-test/busybox:2"
  echo "export BERTH_TEST_NODE_BASE_IMAGE=$(_docker_node_tag)"
}

# For chaos tests: stop the dockerd the bed started and start it again with the same flags.
# Containers it ran are stopped by the shutdown (restart policies bring theirs back).
docker_restart_daemon() {
  tb_pid_alive "$DOCKER_TB_PID" ||
    tb_fail docker "dockerd was not started by the test bed (no live pid in $DOCKER_TB_PID); not restarting it"
  local flags=""; [ -f "$DOCKER_TB_FLAGS" ] && flags=$(cat "$DOCKER_TB_FLAGS")
  _docker_stop
  _docker_start "$flags" || tb_fail docker "dockerd did not come back after a restart; log: $DOCKER_TB_LOG"
}
