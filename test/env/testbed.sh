#!/usr/bin/env bash
# The Berth test bed: real dockerd (+ three extra engines for multi-host tests), registry, kube-apiserver (+etcd, kubectl), helm, the GitOps
# health judges (kstatus, gopher-lua, cel-go), prometheus + promtool, chromium, a network
# namespace (netns), Node 22 + 24 (node) and Podman's Docker-compatible API (podman), from Debian
# packages, the npm registry and the Go module proxy only. Opt-in (not in a bare `up`, named to
# start): moby, a current Docker Engine built from the Go module proxy (docs/runtimes.md says why). Idempotent: `up` checks each component and
# starts only what is missing. See test/env/README.md.
#
#   test/env/testbed.sh up [component...]     start (default: all), print per-component timings
#   test/env/testbed.sh status                one line per component
#   test/env/testbed.sh env                   `export` lines tests use (also in $BERTH_TESTBED_RUN/env.sh)
#   test/env/testbed.sh down                  stop every process the bed started, by its pid
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

COMPONENTS=(docker engines registry kube helm gitops prometheus browser netns node podman)
OPTIONAL=(moby)                       # started only when named: `up moby`
ALL=("${COMPONENTS[@]}" "${OPTIONAL[@]}")
for c in "${ALL[@]}"; do source "$TB_ENV_DIR/$c.sh"; done
_optional() { local o; for o in "${OPTIONAL[@]}"; do [ "$o" = "$1" ] && return 0; done; return 1; }

# env.sh is the union; env.d/<component>.sh holds each component's own lines too, because the run
# dir is shared by every checkout on the machine and an older checkout's testbed.sh rewrites env.sh
# without the components it does not know (test/support/testbed.ts reads both).
write_env() {
  mkdir -p "$BERTH_TESTBED_RUN/env.d"
  local c
  for c in "${ALL[@]}"; do
    "${c}_env" > "$BERTH_TESTBED_RUN/env.d/$c.sh.tmp" && mv "$BERTH_TESTBED_RUN/env.d/$c.sh.tmp" "$BERTH_TESTBED_RUN/env.d/$c.sh"
  done
  { for c in "${ALL[@]}"; do cat "$BERTH_TESTBED_RUN/env.d/$c.sh"; done; } > "$BERTH_TESTBED_RUN/env.sh.tmp"
  mv "$BERTH_TESTBED_RUN/env.sh.tmp" "$BERTH_TESTBED_RUN/env.sh"
}

cmd="${1:-status}"; shift || true
case "$cmd" in
  up)
    wanted=("${@:-${COMPONENTS[@]}}")
    [ "$#" -eq 0 ] && wanted=("${COMPONENTS[@]}")
    total_start=$SECONDS
    for c in "${wanted[@]}"; do
      start=$SECONDS
      ( "${c}_up" ) || tb_fail "$c" "see the lines above (logs in $BERTH_TESTBED_RUN)"
      tb_log "$(printf '%-9s up in %4ss' "$c" $((SECONDS - start)))"
    done
    write_env
    tb_log "test bed up in $((SECONDS - total_start))s (env: $BERTH_TESTBED_RUN/env.sh)"
    ;;
  status)
    rc=0
    for c in "${ALL[@]}"; do
      if line=$("${c}_status" 2>&1); then printf '%-9s ok    %s\n' "$c" "$line"
      elif _optional "$c"; then printf '%-9s off   %s\n' "$c" "$line"     # opt-in: not a failure
      else printf '%-9s DOWN  %s\n' "$c" "$line"; rc=1; fi
    done
    exit $rc ;;
  env)   write_env; cat "$BERTH_TESTBED_RUN/env.sh" ;;
  down)  for ((i=${#ALL[@]}-1; i>=0; i--)); do "${ALL[$i]}_down" || true; done ;;
  *)     sed -n '2,10p' "$0"; exit 2 ;;
esac
