//go:build tools

// Package tools pins Prometheus' two commands into this wrapper module's graph so `go mod tidy`
// keeps every module they need; the build tag keeps the file out of real builds (build.sh builds
// the commands themselves: go build -tags remove_all_sd github.com/prometheus/prometheus/cmd/...).
package tools

import (
	_ "github.com/prometheus/prometheus/cmd/prometheus"
	_ "github.com/prometheus/prometheus/cmd/promtool"
)
