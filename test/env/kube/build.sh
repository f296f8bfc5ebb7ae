#!/usr/bin/env bash
# Builds the test bed's Go binaries from the Go module proxy with the machine's Go toolchain.
# Called by kube.sh / helm.sh (and safe to run by hand, e.g. in the background to warm the cache):
#
#   build.sh k8s  v1.36.3 OUTDIR   -> OUTDIR/kube-apiserver, OUTDIR/kubectl
#   build.sh etcd OUTDIR           -> OUTDIR/etcd   (version pinned in kube/etcd/go.mod, go.sum committed)
#   build.sh helm OUTDIR           -> OUTDIR/helm   (version pinned in kube/helm/go.mod, go.sum committed)
#   build.sh gitops OUTDIR         -> OUTDIR/{kstatus,lua,cel} (libraries pinned in kube/gitops/go.mod)
#   build.sh prometheus OUTDIR     -> OUTDIR/{prometheus,promtool} (pinned in kube/prometheus/go.mod)
#   build.sh runc OUTDIR           -> OUTDIR/runc   (pinned in kube/runc/go.mod; cgo + libseccomp-dev)
#   build.sh moby OUTDIR           -> OUTDIR/{dockerd,docker-proxy} (pinned in kube/moby/go.mod)
#
# The wrapper module is assembled in OUTDIR/../src (the cache, never the repo, so go may rewrite
# go.mod/go.sum freely). Each binary is linked to a temp name and renamed on success, so a killed
# build never leaves a half binary that a later `up` would trust. Binaries already present are kept.
# A lock per OUTDIR makes a second caller wait for the first build instead of racing it.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
export PATH="/usr/local/go/bin:$PATH"
# GOTOOLCHAIN=local: never download a toolchain. -mod=mod: let go fill go.sum in the cache work dir.
export GOTOOLCHAIN=local GOFLAGS="-mod=mod -buildvcs=false" CGO_ENABLED=0

# go_build WORKDIR OUT PKG [LDFLAGS]: build one binary atomically and say how long it took.
go_build() { local work="$1" out="$2" pkg="$3" ldflags="-s -w ${4:-}"
  [ -x "$out" ] && { echo "build.sh: $out already built"; return 0; }
  local start=$SECONDS
  echo "build.sh: building $pkg -> $out ($(date -u +%H:%M:%S))"
  (cd "$work" && go build -trimpath -ldflags="$ldflags" -o "$out.tmp.$$" "$pkg")
  mv -f "$out.tmp.$$" "$out"
  echo "build.sh: built $(basename "$out") in $((SECONDS - start))s"
}

# prepare WORKDIR FILE...: a fresh work dir holding copies of the wrapper sources.
prepare() { local work="$1"; shift; rm -rf "$work"; mkdir -p "$work"; cp "$@" "$work/"; }

# tidy WORKDIR: resolve the module graph and fill go.sum (this is where the downloads happen).
tidy() { local start=$SECONDS
  (cd "$1" && go mod tidy)
  echo "build.sh: module graph resolved in $((SECONDS - start))s"
}

# pinned GOMOD MODULE: the version a committed wrapper go.mod requires.
pinned() { awk -v m="$2" '($1 == m || ($1 == "require" && $2 == m)) { print ($1 == m ? $2 : $3); exit }' "$1"; }

what="${1:?usage: build.sh k8s VERSION OUTDIR | etcd OUTDIR | helm OUTDIR | gitops OUTDIR | prometheus OUTDIR | runc OUTDIR | moby OUTDIR}"; shift
case "$what" in
  k8s)  version="${1:?k8s version}"; out="${2:?out dir}" ;;
  etcd|helm|gitops|prometheus|runc|moby) out="${1:?out dir}" ;;
  *) echo "build.sh: unknown target $what" >&2; exit 2 ;;
esac
mkdir -p "$out"; work="$out/../src"
exec 9>"$out/../.build.lock"; flock 9

case "$what" in
  k8s)
    if [ ! -x "$out/kube-apiserver" ] || [ ! -x "$out/kubectl" ]; then
      prepare "$work" "$here/k8s/tools.go"
      "$here/k8s/gen-go-mod.sh" "$version" > "$work/go.mod"
      tidy "$work"
      # Stamp the real version so `kubectl version` and the apiserver's /version say v1.36.3.
      vpkg=k8s.io/component-base/version
      ld="-X $vpkg.gitVersion=$version -X $vpkg.gitTreeState=clean -X $vpkg.gitMajor=1 -X $vpkg.gitMinor=$(echo "$version" | cut -d. -f2)"
      go_build "$work" "$out/kube-apiserver" k8s.io/kubernetes/cmd/kube-apiserver "$ld"
      go_build "$work" "$out/kubectl"        k8s.io/kubernetes/cmd/kubectl "$ld"
    fi ;;
  etcd)
    if [ ! -x "$out/etcd" ]; then
      prepare "$work" "$here/etcd/go.mod" "$here/etcd/go.sum" "$here/etcd/main.go"
      tidy "$work"
      go_build "$work" "$out/etcd" berth.test/etcd
    fi ;;
  helm)
    if [ ! -x "$out/helm" ]; then
      prepare "$work" "$here/helm/go.mod" "$here/helm/go.sum" "$here/helm/tools.go"
      tidy "$work"
      version=$(pinned "$here/helm/go.mod" helm.sh/helm/v3)
      # The same -X flags as helm's own Makefile: the real version for `helm version`, and the
      # Kubernetes version helm was built against (client-go v0.37.x -> 1.37, as the Makefile
      # computes it) for lint's deprecation checks and `helm template`'s default .Capabilities.
      kmin=$(cd "$work" && go list -m -f '{{.Version}}' k8s.io/client-go | cut -d. -f2)
      ld="-X helm.sh/helm/v3/internal/version.version=$version -X helm.sh/helm/v3/internal/version.gitTreeState=clean"
      for p in helm.sh/helm/v3/pkg/lint/rules helm.sh/helm/v3/pkg/chartutil; do
        ld="$ld -X $p.k8sVersionMajor=1 -X $p.k8sVersionMinor=$kmin"
      done
      go_build "$work" "$out/helm" helm.sh/helm/v3/cmd/helm "$ld"
    fi ;;
  gitops)
    if [ ! -x "$out/kstatus" ] || [ ! -x "$out/lua" ] || [ ! -x "$out/cel" ]; then
      rm -rf "$work"; mkdir -p "$work"; cp -r "$here/gitops/." "$work/"
      tidy "$work"
      for tool in kstatus lua cel; do go_build "$work" "$out/$tool" "./$tool"; done
    fi ;;
  prometheus)
    if [ ! -x "$out/prometheus" ] || [ ! -x "$out/promtool" ]; then
      prepare "$work" "$here/prometheus/go.mod" "$here/prometheus/go.sum" "$here/prometheus/tools.go"
      tidy "$work"
      # remove_all_sd: only the file and http service discoveries (plugins/minimum.go); the bed
      # scrapes static targets, and leaving out the cloud SDKs roughly halves the cold build.
      # Without the builtinassets tag the web UI is not embedded; the HTTP API tests use is.
      export GOFLAGS="$GOFLAGS -tags=remove_all_sd"
      mod=$(pinned "$here/prometheus/go.mod" github.com/prometheus/prometheus)
      # v0.3XY.Z is release 3.XY.Z: stamp it so `prometheus --version` and build_info say so.
      release="3.$(echo "$mod" | cut -d. -f2 | sed 's/^3//; s/^0*\([0-9]\)/\1/').$(echo "$mod" | cut -d. -f3)"
      ld="-X github.com/prometheus/common/version.Version=$release -X github.com/prometheus/common/version.Branch=HEAD"
      go_build "$work" "$out/prometheus" github.com/prometheus/prometheus/cmd/prometheus "$ld"
      go_build "$work" "$out/promtool"   github.com/prometheus/prometheus/cmd/promtool "$ld"
    fi ;;
  runc)
    if [ ! -x "$out/runc" ]; then
      prepare "$work" "$here/runc/go.mod" "$here/runc/go.sum" "$here/runc/tools.go"
      tidy "$work"
      # runc is cgo by nature (libcontainer/nsenter is C); the seccomp tag links Debian's libseccomp,
      # as distro builds do, so seccomp profiles the engine sends are applied, not refused.
      export CGO_ENABLED=1 GOFLAGS="$GOFLAGS -tags=seccomp"
      version=$(pinned "$here/runc/go.mod" github.com/opencontainers/runc)
      go_build "$work" "$out/runc" github.com/opencontainers/runc "-X main.version=${version#v}"
    fi ;;
  moby)
    if [ ! -x "$out/dockerd" ] || [ ! -x "$out/docker-proxy" ]; then
      prepare "$work" "$here/moby/go.mod" "$here/moby/go.sum" "$here/moby/tools.go"
      tidy "$work"
      version=$(pinned "$here/moby/go.mod" github.com/moby/moby/v2)
      # Stamp the version so `docker version` and /version say which engine this is.
      ld="-X github.com/moby/moby/v2/dockerversion.Version=${version#v} -X github.com/moby/moby/v2/dockerversion.GitCommit=$version"
      go_build "$work" "$out/dockerd"      github.com/moby/moby/v2/cmd/dockerd "$ld"
      go_build "$work" "$out/docker-proxy" github.com/moby/moby/v2/cmd/docker-proxy
    fi ;;
esac
