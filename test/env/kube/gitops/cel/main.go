// Command cel judges one object with Flux healthCheckExprs, using cel-go with the environment
// Flux's kustomize-controller builds (github.com/fluxcd/pkg/runtime/cel: parsed, not type-checked,
// optional types, the strings/sets/encoders extensions, the object's top-level fields as the
// variables) and Flux's order (RFC 0009): an object whose status.observedGeneration differs from
// metadata.generation is InProgress without evaluating anything; then inProgress, failed, current
// in that order, the first true one wins; none true is InProgress. An evaluation error (a field
// that does not exist yet) is what Flux's status reader reports as Unknown, and it keeps waiting.
//
//	cel -current EXPR [-inProgress EXPR] [-failed EXPR] < object.json   ->   {"status":"Current"}
//
// Exit 0 with the verdict (Unknown included, with the error as message); exit 1 on bad usage or
// an expression that does not parse.
package main

import (
	"context"
	"flag"
	"fmt"

	"berth.test/gitops/judge"
	"github.com/google/cel-go/cel"
	"github.com/google/cel-go/common/types"
	"github.com/google/cel-go/ext"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

func main() {
	current := flag.String("current", "", "the Current expression (required)")
	inProgress := flag.String("inProgress", "", "the InProgress expression")
	failed := flag.String("failed", "", "the Failed expression")
	flag.Parse()
	if *current == "" {
		fail("-current is required (Flux requires it too)")
	}
	obj := judge.Object("cel").UnstructuredContent()

	if og, ok, _ := unstructured.NestedInt64(obj, "status", "observedGeneration"); ok {
		if g, ok, _ := unstructured.NestedInt64(obj, "metadata", "generation"); ok && g != og {
			print("InProgress", fmt.Sprintf("observedGeneration %d, generation %d", og, g))
			return
		}
	}
	for _, e := range []struct{ name, expr, status string }{
		{"inProgress", *inProgress, "InProgress"}, {"failed", *failed, "Failed"}, {"current", *current, "Current"},
	} {
		if e.expr == "" {
			continue
		}
		prog := program(e.name, e.expr)
		val, _, err := prog.ContextEval(context.Background(), obj)
		if err != nil {
			print("Unknown", fmt.Sprintf("failed to evaluate the CEL expression '%s': %v", e.expr, err))
			return
		}
		b, ok := val.(types.Bool)
		if !ok {
			print("Unknown", fmt.Sprintf("failed to evaluate CEL expression as boolean: '%s'", e.expr))
			return
		}
		if bool(b) {
			print(e.status, e.name+" is true")
			return
		}
	}
	print("InProgress", "no expression is true")
}

func program(name, expr string) cel.Program {
	env, err := cel.NewEnv(
		cel.HomogeneousAggregateLiterals(), cel.EagerlyValidateDeclarations(true), cel.DefaultUTCTimeZone(true),
		cel.CrossTypeNumericComparisons(true), cel.OptionalTypes(), ext.Strings(), ext.Sets(), ext.Encoders(),
	)
	if err != nil {
		fail("CEL environment: %v", err)
	}
	ast, issues := env.Parse(expr)
	if issues != nil && issues.Err() != nil {
		fail("failed to parse the expression %s '%s': %s", name, expr, issues.String())
	}
	prog, err := env.Program(ast, cel.EvalOptions(cel.OptOptimize), cel.InterruptCheckFrequency(100))
	if err != nil {
		fail("failed to create the CEL program for %s: %v", name, err)
	}
	return prog
}

func print(status, message string) { judge.Print(status, message) }

func fail(format string, args ...any) { judge.Fail("cel", format, args...) }
