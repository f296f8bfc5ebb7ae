// Command kstatus prints what sigs.k8s.io/cli-utils/pkg/kstatus/status computes for one object:
// the library kubectl's and cli-utils' waiters use, and (as a fork) Flux's health checks.
//
//	kstatus < object.json   ->   {"status":"InProgress","message":"..."}
//
// Exit 0 with the verdict; exit 1 if the object cannot be read or kstatus returns an error.
package main

import (
	"berth.test/gitops/judge"
	"sigs.k8s.io/cli-utils/pkg/kstatus/status"
)

func main() {
	res, err := status.Compute(judge.Object("kstatus"))
	if err != nil {
		judge.Fail("kstatus", "kstatus: %v", err)
	}
	judge.Print(res.Status.String(), res.Message)
}
