# Shared helpers for the test-bed component scripts. Sourced, never run.
# Contract: each component script defines <name>_up, <name>_status, <name>_down and
# <name>_env (prints `export KEY=value` lines). Failures call `tb_fail COMPONENT "why"`.

: "${BERTH_TESTBED_CACHE:=${XDG_CACHE_HOME:-$HOME/.cache}/berth-testbed}"   # built binaries, kept
: "${BERTH_TESTBED_RUN:=$BERTH_TESTBED_CACHE/run}"                          # pids, logs, certs, data
TB_ENV_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
mkdir -p "$BERTH_TESTBED_CACHE" "$BERTH_TESTBED_RUN"
# Absolute, because daemons start from `/` (tb_daemon) and get these paths in their arguments.
BERTH_TESTBED_CACHE=$(cd "$BERTH_TESTBED_CACHE" && pwd) && BERTH_TESTBED_RUN=$(cd "$BERTH_TESTBED_RUN" && pwd)

tb_log()  { printf '[testbed] %s\n' "$*" >&2; }
# One clear line naming the component and why, then a non-zero exit.
tb_fail() { local c="$1"; shift; printf '[testbed] FAILED %s: %s\n' "$c" "$*" >&2; exit 1; }

# apt-get install that waits for another installer's lock instead of failing.
tb_apt_install() {
  local missing=()
  for p in "$@"; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
  [ "${#missing[@]}" -eq 0 ] && return 0
  tb_log "apt-get install ${missing[*]}"
  if [ ! -f "$BERTH_TESTBED_RUN/.apt-updated" ]; then
    apt-get -o DPkg::Lock::Timeout=600 update -qq >&2 && touch "$BERTH_TESTBED_RUN/.apt-updated"
  fi
  DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 install -y -qq --no-install-recommends "${missing[@]}" >&2
}

# Is the process in PIDFILE alive?
tb_pid_alive() { [ -f "$1" ] && kill -0 "$(cat "$1")" 2>/dev/null; }

# Start a daemon detached from this shell (setsid), logging to LOG, pid to PIDFILE. From `/`: a
# daemon (and every child it forks: conmon, shims) inherits the caller's working directory, and the
# caller is often a checkout or temp dir deleted hours later; Podman's conmon then fails every
# container start ("Failed to get working directory" -> HTTP 500 "write child: broken pipe").
tb_daemon() { local pidfile="$1" log="$2"; shift 2
  ( cd / && exec setsid "$@" ) >>"$log" 2>&1 < /dev/null &
  echo $! > "$pidfile"
}

# Stop the process in PIDFILE by its own pid: TERM, wait, then KILL.
tb_stop_pid() { local pidfile="$1"
  tb_pid_alive "$pidfile" || { rm -f "$pidfile"; return 0; }
  local pid; pid=$(cat "$pidfile"); kill "$pid" 2>/dev/null
  for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.2; done
  kill -9 "$pid" 2>/dev/null || true; rm -f "$pidfile"
}

# Wait up to SECONDS for COMMAND to succeed.
tb_wait() { local secs="$1"; shift; local end=$((SECONDS + secs))
  until "$@" >/dev/null 2>&1; do [ $SECONDS -ge $end ] && return 1; sleep 0.5; done
}
