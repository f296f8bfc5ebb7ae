//go:build tools

// Package tools pins runc's command into this wrapper module's graph so `go mod tidy` keeps every
// module it needs; the build tag keeps the file out of real builds (build.sh builds the command
// itself, with cgo and the seccomp tag: go build -tags seccomp github.com/opencontainers/runc).
package tools

import _ "github.com/opencontainers/runc"
