// Command kstatus prints what sigs.k8s.io/cli-utils/pkg/kstatus/status computes for one object:
// the library kubectl's and cli-utils' waiters use, and (as a fork) Flux's health checks.
//
//	kstatus < object.json   ->   {"status":"InProgress","message":"..."}
//
// Exit 0 with the verdict; exit 1 if the object cannot be read or kstatus returns an error.
package main

import (
	"encoding/json"
	"fmt"
	"io"
	"os"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/cli-utils/pkg/kstatus/status"
)

func main() {
	raw, err := io.ReadAll(os.Stdin)
	if err != nil {
		fail("reading stdin: %v", err)
	}
	// UnmarshalJSON turns numbers into int64 the way client-go's unstructured objects carry them,
	// which kstatus' NestedInt64 lookups (generation, observedGeneration) rely on.
	u := &unstructured.Unstructured{}
	if err := u.UnmarshalJSON(raw); err != nil {
		fail("stdin is not a Kubernetes object: %v", err)
	}
	res, err := status.Compute(u)
	if err != nil {
		fail("kstatus: %v", err)
	}
	out, _ := json.Marshal(map[string]string{"status": res.Status.String(), "message": res.Message})
	fmt.Println(string(out))
}

func fail(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "kstatus: "+format+"\n", args...)
	os.Exit(1)
}
