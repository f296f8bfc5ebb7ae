# Component `browser`: Debian's chromium, driven per test by playwright-core (test/support/browser.ts).
# Nothing runs in the background: `up` installs chromium and proves headless rendering works here.
# Never `npx playwright install` (browser downloads are unreachable). See test/env/README.md (## browser).

BROWSER_TB_BIN=/usr/bin/chromium     # Debian's wrapper script; it execs /usr/lib/chromium/chromium
BROWSER_TB_DIR="$BERTH_TESTBED_RUN/browser"

# Render a local page whose text is only complete once its script ran: proves chromium starts as
# root (--no-sandbox), without a display or GPU, and executes JavaScript.
_browser_check() {
  local page="$BROWSER_TB_DIR/check.html" profile out
  mkdir -p "$BROWSER_TB_DIR" || return 1
  printf '%s\n' '<!doctype html><p id="t">berth-</p><script>document.getElementById("t").textContent += "rendered"</script>' >"$page"
  # A throwaway profile: nothing lands in ~/.config/chromium.
  profile=$(mktemp -d "$BROWSER_TB_DIR/profile.XXXXXX") || return 1
  out=$(timeout 60 "$BROWSER_TB_BIN" --headless --no-sandbox --disable-gpu --no-first-run \
        --user-data-dir="$profile" --dump-dom "file://$page" 2>>"$BROWSER_TB_DIR/check.log")
  rm -rf "$profile"
  case "$out" in *berth-rendered*) return 0 ;; *) return 1 ;; esac
}

browser_up() {
  # fonts-dejavu-core: without any font, pages render with no text to read back.
  tb_apt_install chromium fonts-dejavu-core || tb_fail browser "apt-get install chromium failed"
  [ -x "$BROWSER_TB_BIN" ] || tb_fail browser "$BROWSER_TB_BIN missing after installing chromium"
  _browser_check || tb_fail browser "chromium --headless --dump-dom of a local page did not render it; see $BROWSER_TB_DIR/check.log"
}

browser_status() {
  [ -x "$BROWSER_TB_BIN" ] || { echo "$BROWSER_TB_BIN not installed"; return 1; }
  local v; v=$("$BROWSER_TB_BIN" --version 2>/dev/null) || { echo "$BROWSER_TB_BIN --version fails"; return 1; }
  echo "$v at $BROWSER_TB_BIN (started per test by playwright-core)"
}

browser_down() { :; }   # nothing long-running: each test launches and closes its own browser

browser_env() { echo "export BERTH_TEST_CHROMIUM=$BROWSER_TB_BIN"; }
