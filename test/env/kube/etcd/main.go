// Command etcd is etcd v3.6.8 built from the Go module proxy for the Berth test bed: the same
// main as go.etcd.io/etcd/server/v3's own (server/main.go), pinned by this directory's go.mod to
// the etcd version k8s.io/kubernetes v1.36.3 requires. Built by test/env/kube/build.sh.
package main

import (
	"os"

	"go.etcd.io/etcd/server/v3/etcdmain"
)

func main() { etcdmain.Main(os.Args) }
