// Package judge is what the three health-judge commands (kstatus, lua, cel) share: the object they
// judge, read as JSON from stdin, a verdict printed as one JSON line, and an error naming the command.
package judge

import (
	"encoding/json"
	"fmt"
	"io"
	"os"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

// Object reads one Kubernetes object from stdin, or fails as CMD. UnmarshalJSON turns numbers into
// int64 the way client-go's unstructured objects carry them, which the libraries' NestedInt64
// lookups (generation, observedGeneration) rely on.
func Object(cmd string) *unstructured.Unstructured {
	raw, err := io.ReadAll(os.Stdin)
	if err != nil {
		Fail(cmd, "reading stdin: %v", err)
	}
	u := &unstructured.Unstructured{}
	if err := u.UnmarshalJSON(raw); err != nil {
		Fail(cmd, "stdin is not a Kubernetes object: %v", err)
	}
	return u
}

// Print writes the verdict as {"status":...,"message":...}.
func Print(status, message string) {
	out, _ := json.Marshal(map[string]string{"status": status, "message": message})
	fmt.Println(string(out))
}

// Fail prints "CMD: message" on stderr and exits 1 (bad usage or input).
func Fail(cmd, format string, args ...any) {
	fmt.Fprintf(os.Stderr, cmd+": "+format+"\n", args...)
	os.Exit(1)
}
