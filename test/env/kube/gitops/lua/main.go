// Command lua runs an Argo CD resource health script against one object, in gopher-lua set up
// the way Argo CD sets it up for a `resource.customizations.health.<group>_<kind>` script from
// argocd-cm (useOpenLibs unset): only the package, base and table libraries are open (no string,
// math or io), the object is the global `obj` (numbers as Lua numbers, JSON null as nil), the run
// is cut off after one second, and the script must return a table whose `status` is one of
// Argo CD's health codes.
//
//	lua SCRIPT.lua < object.json   ->   {"status":"Progressing","message":"..."}
//
// Exit 0 with the verdict; exit 1 if the script fails or returns something Argo CD would reject.
package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"time"

	"berth.test/gitops/judge"
	lua "github.com/yuin/gopher-lua"
)

// Argo CD's health codes; anything else it shows as Unknown ("Lua returned an invalid health status").
var healthCodes = map[string]bool{"Unknown": true, "Progressing": true, "Suspended": true, "Healthy": true, "Degraded": true, "Missing": true}

func main() {
	if len(os.Args) != 2 {
		fail("usage: lua SCRIPT.lua < object.json")
	}
	script, err := os.ReadFile(os.Args[1])
	if err != nil {
		fail("reading the script: %v", err)
	}
	u := judge.Object("lua")

	L := lua.NewState(lua.Options{SkipOpenLibs: true})
	defer L.Close()
	for name, open := range map[string]lua.LGFunction{lua.LoadLibName: lua.OpenPackage, lua.BaseLibName: lua.OpenBase, lua.TabLibName: lua.OpenTable} {
		if err := L.CallByParam(lua.P{Fn: L.NewFunction(open), NRet: 0, Protect: true}, lua.LString(name)); err != nil {
			fail("opening %s: %v", name, err)
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	L.SetContext(ctx)
	L.SetGlobal("obj", toLua(L, u.Object))
	if err := L.DoString(string(script)); err != nil {
		fail("the script failed: %v", err)
	}
	ret, ok := L.Get(-1).(*lua.LTable)
	if !ok {
		fail("expect table output from Lua script, not %s", L.Get(-1).Type())
	}
	st, msg := ret.RawGetString("status"), ret.RawGetString("message")
	if st.Type() != lua.LTString || !healthCodes[st.String()] {
		fail("Lua returned an invalid health status: %v", st)
	}
	result := map[string]string{"status": st.String()}
	if msg.Type() == lua.LTString {
		result["message"] = msg.String()
	} else if msg != lua.LNil {
		fail("message must be a string, not %s", msg.Type())
	}
	out, _ := json.Marshal(result)
	fmt.Println(string(out))
}

// toLua converts an unstructured value: maps to hash tables, slices to 1-based arrays, int64 and
// float64 to numbers, nil to nil (so `obj.status == nil` when there is no status).
func toLua(L *lua.LState, v any) lua.LValue {
	switch x := v.(type) {
	case bool:
		return lua.LBool(x)
	case string:
		return lua.LString(x)
	case int64:
		return lua.LNumber(x)
	case float64:
		return lua.LNumber(x)
	case []any:
		t := L.CreateTable(len(x), 0)
		for _, item := range x {
			t.Append(toLua(L, item))
		}
		return t
	case map[string]any:
		t := L.CreateTable(0, len(x))
		for k, item := range x {
			t.RawSetString(k, toLua(L, item))
		}
		return t
	}
	return lua.LNil
}

func fail(format string, args ...any) { judge.Fail("lua", format, args...) }
