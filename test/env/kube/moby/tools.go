//go:build tools

// Package tools pins the moby engine's daemon and its port proxy into this wrapper module's graph so
// `go mod tidy` keeps every module they need; the build tag keeps the file out of real builds
// (build.sh builds github.com/moby/moby/v2/cmd/dockerd and cmd/docker-proxy themselves). The proxy
// is built too because Debian's docker-proxy 20.10 lacks -use-listen-fd, which this dockerd passes.
package tools

import (
	_ "github.com/moby/moby/v2/cmd/docker-proxy"
	_ "github.com/moby/moby/v2/cmd/dockerd"
)
