//go:build tools

// Package tools pins the two Kubernetes commands the test bed builds, so that `go mod tidy` in the
// generated wrapper module (see gen-go-mod.sh) resolves every package they import. The build tag
// keeps this file out of any real build: it only exists for the module graph.
package tools

import (
	_ "k8s.io/kubernetes/cmd/kube-apiserver"
	_ "k8s.io/kubernetes/cmd/kubectl"
)
