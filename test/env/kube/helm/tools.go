//go:build tools

// Package tools pins helm's command into this wrapper module's graph so `go mod tidy` keeps every
// module it needs; the build tag keeps the file out of real builds (build.sh builds the command
// itself: go build helm.sh/helm/v3/cmd/helm).
package tools

import _ "helm.sh/helm/v3/cmd/helm"
