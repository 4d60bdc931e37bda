// Package detguard enforces actorio's determinism rules on the code that
// runs inside actors (DESIGN.md, "Determinism rules"). It type-checks the
// actor packages and reports every use of a construct that would make a
// simulated run depend on the Go scheduler, the wall clock or global
// randomness:
//
//	go        a go statement, or a call that starts one (sync.WaitGroup.Go,
//	          context.AfterFunc)
//	select    a select statement, reflect.Select
//	channel   making, sending on, receiving from, closing or ranging over a
//	          channel (also through a type parameter or package reflect)
//	time      time.Now, Since, Until, Sleep, After, AfterFunc, Tick, NewTimer,
//	          NewTicker; context.WithTimeout/WithDeadline; protoactor's
//	          wall-clock supervisor strategies
//	rand      a package-level function of math/rand or math/rand/v2
//	          (constructors excepted), crypto/rand, package hash/maphash
//	          (its seeds are random, even a zero Hash's)
//	future    protoactor's RequestFuture or NewFuture with a timeout ≥ 0 (or
//	          not constant), StopFuture, PoisonFuture, and blocking
//	          Result()/Wait() on a protoactor Future or sync.WaitGroup/Cond
//	timeout   SetReceiveTimeout
//	scheduler an import of protoactor's scheduler package
//	mailbox   protoactor's blocking Bounded mailbox
//	io        real I/O: package os (but its pure helpers), net (but parsing),
//	          syscall, golang.org/x/sys/unix, os/exec, os/signal, file-system
//	          walks, any method of *os.File or of package net's types, and
//	          such a value converted to an interface, which would hide it
//	runtime   runtime.Gosched, Goexit, NumGoroutine, GC, finalizers and
//	          thread locking: behaviour that depends on the Go scheduler
//	reflect   reflect's Method and MethodByName: a method chosen at run time
//	          escapes every rule
//	linkname  a //go:linkname directive: code the guard cannot see
//	maprange  ranging over a map (also through a type parameter, maps.Keys/
//	          Values/All unless sorted by slices.Sorted*, reflect's MapKeys and
//	          MapRange), unless the line says //detguard:unordered <why the
//	          order cannot be observed>, or the marker stands alone on the
//	          line above
//
// Functions are matched by the object they denote, not by how they are
// spelled: an import alias, a dot import, a method value, a function
// value, an explicit instantiation or an embedded receiver does not hide
// them.
//
// The few files that must do such things (the real clock, drivers that
// own file descriptors, the simulator's own waiting) are listed in an
// Allowlist, each rule with the reason.
package detguard

import (
	"fmt"
	"go/ast"
	"go/token"
	"go/types"
	"sort"
	"strings"
)

// Finding is one violation.
type Finding struct {
	Pos  token.Position
	Rule string
	Text string
}

// String returns the Finding in readable form.
func (f Finding) String() string { return fmt.Sprintf("%s: %s: %s", f.Pos, f.Rule, f.Text) }

// Allowlist exempts files from rules: path (slash-separated, relative to
// the module root) → rule → reason.
type Allowlist map[string]map[string]string

// File is one parsed, type-checked source file to check.
type File struct {
	Path string // relative to the module root, slash-separated
	AST  *ast.File
}

const (
	protoactorActor     = "github.com/asynkron/protoactor-go/actor"
	protoactorScheduler = "github.com/asynkron/protoactor-go/scheduler"
	unorderedMarker     = "//detguard:unordered"
)

var bannedTime = map[string]bool{
	"Now": true, "Since": true, "Until": true, "Sleep": true, "After": true,
	"AfterFunc": true, "Tick": true, "NewTimer": true, "NewTicker": true,
}

var randConstructors = map[string]bool{
	"New": true, "NewSource": true, "NewPCG": true, "NewChaCha8": true, "NewZipf": true,
}

// bannedFuncs maps an import path to its package-level functions (and
// variables) that break a rule, with the rule. A path mapped to a "*"
// entry bans every function of the package but those listed with "".
var bannedFuncs = map[string]map[string]string{
	"os": {"*": "io",
		// Pure helpers: no system call.
		"IsExist": "", "IsNotExist": "", "IsPermission": "", "IsTimeout": "", "NewSyscallError": "",
		"Getpagesize": "", "SameFile": "", "Expand": "", "IsPathSeparator": "",
		// Variables: reading the standard input or the command line.
		"Stdin": "io", "Args": "io"},
	"net": {"*": "io",
		// Parsing and formatting, no resolver or socket.
		"ParseIP": "", "ParseCIDR": "", "ParseMAC": "", "IPv4": "", "IPv4Mask": "", "CIDRMask": "",
		"JoinHostPort": "", "SplitHostPort": "", "ResolveUnixAddr": "",
		"TCPAddrFromAddrPort": "", "UDPAddrFromAddrPort": ""},
	"syscall":               {"*": "io"},
	"golang.org/x/sys/unix": {"*": "io"},
	"os/exec":               {"*": "io"},
	"os/signal":             {"*": "io"},
	"io/ioutil":             {"ReadFile": "io", "WriteFile": "io", "ReadDir": "io", "TempFile": "io", "TempDir": "io"},
	"path/filepath":         {"Walk": "io", "WalkDir": "io", "Glob": "io", "EvalSymlinks": "io", "Abs": "io"},
	"net/http": {"Get": "io", "Head": "io", "Post": "io", "PostForm": "io",
		"ListenAndServe": "io", "ListenAndServeTLS": "io", "Serve": "io", "ServeTLS": "io"},
	"crypto/rand":  {"*": "rand"},
	"hash/maphash": {"*": "rand"}, // every seed is random: MakeSeed, or a zero Hash's own
	"context": {"WithTimeout": "time", "WithDeadline": "time", "WithTimeoutCause": "time",
		"WithDeadlineCause": "time", "AfterFunc": "go"},
	"runtime": {"Gosched": "runtime", "Goexit": "runtime", "NumGoroutine": "runtime",
		"LockOSThread": "runtime", "UnlockOSThread": "runtime", "GC": "runtime",
		"SetFinalizer": "runtime", "AddCleanup": "runtime"},
	"reflect": {"Select": "select", "MakeChan": "channel"},
	"maps":    {"Keys": "maprange", "Values": "maprange", "All": "maprange"},
	protoactorActor: {"Bounded": "mailbox", "NewExponentialBackoffStrategy": "time",
		"DefaultSupervisorStrategy": "time"},
}

// bannedMethods maps import path → type name → method → rule for the
// methods (whatever the receiver expression: embedded, method value,
// method expression) that break a rule. "*" bans every method of a type.
var bannedMethods = map[string]map[string]map[string]string{
	"sync": {
		"WaitGroup": {"Wait": "future", "Go": "go"},
		"Cond":      {"Wait": "future"},
	},
	protoactorActor: {"Future": {"Result": "future", "Wait": "future"}},
	"reflect": {"Value": {"Send": "channel", "Recv": "channel", "TrySend": "channel", "TryRecv": "channel",
		"Close": "channel", "MapKeys": "maprange", "MapRange": "maprange",
		"Method": "reflect", "MethodByName": "reflect"},
		"Type": {"Method": "reflect", "MethodByName": "reflect"}},
	"hash/maphash": {"Hash": {"*": "rand"}},
	"os":           {"File": {"*": "io"}, "Process": {"*": "io"}, "Root": {"*": "io"}},
	"os/exec":      {"Cmd": {"*": "io"}},
	"net/http":     {"Client": {"*": "io"}, "Server": {"*": "io"}, "Transport": {"*": "io"}},
}

var sortingFuncs = map[string]bool{"Sorted": true, "SortedFunc": true, "SortedStableFunc": true}

// Check reports the violations in files, which share fset and info, minus
// what allow exempts. Findings are sorted by position.
func Check(fset *token.FileSet, info *types.Info, files []File, allow Allowlist) []Finding {
	var out []Finding
	for _, f := range files {
		c := &checker{fset: fset, info: info, path: f.Path, allow: allow[f.Path], lines: unorderedLines(fset, f.AST),
			calls: map[ast.Expr]*ast.CallExpr{}, sorted: map[ast.Expr]bool{}, seen: map[*ast.Ident]bool{}}
		c.file(f.AST)
		out = append(out, c.found...)
	}
	sort.Slice(out, func(i, j int) bool {
		a, b := out[i].Pos, out[j].Pos
		if a.Filename != b.Filename {
			return a.Filename < b.Filename
		}
		return a.Line < b.Line || (a.Line == b.Line && a.Column < b.Column)
	})
	return out
}

type checker struct {
	fset   *token.FileSet
	info   *types.Info
	path   string
	allow  map[string]string
	lines  map[int]bool               // lines an unordered marker covers
	calls  map[ast.Expr]*ast.CallExpr // a call's function expression → the call
	sorted map[ast.Expr]bool          // direct arguments of slices.Sorted*
	seen   map[*ast.Ident]bool        // selector names already checked
	found  []Finding
}

func (c *checker) report(n ast.Node, rule, format string, args ...any) {
	if _, ok := c.allow[rule]; ok {
		return
	}
	pos := c.fset.Position(n.Pos())
	pos.Filename = c.path
	c.found = append(c.found, Finding{Pos: pos, Rule: rule, Text: fmt.Sprintf(format, args...)})
}

func (c *checker) file(f *ast.File) {
	for _, imp := range f.Imports {
		if strings.Trim(imp.Path.Value, `"`) == protoactorScheduler {
			c.report(imp, "scheduler", "imports protoactor's scheduler (wall-clock timers); use actors.After/Every")
		}
	}
	c.linknames(f)
	c.walkHidden(f, nil)
	ast.Inspect(f, func(n ast.Node) bool {
		switch n := n.(type) {
		case *ast.GoStmt:
			c.report(n, "go", "go statement: actor code must not start goroutines")
		case *ast.SelectStmt:
			c.report(n, "select", "select statement")
		case *ast.SendStmt:
			c.report(n, "channel", "send on a channel")
		case *ast.UnaryExpr:
			if n.Op == token.ARROW {
				c.report(n, "channel", "receive from a channel")
			}
		case *ast.RangeStmt:
			c.rangeStmt(n)
		case *ast.CallExpr:
			c.call(n)
		case *ast.SelectorExpr:
			c.selector(n)
		case *ast.Ident:
			// A dot-imported or otherwise unqualified reference.
			if !c.seen[n] {
				c.use(n, n, nil)
			}
		}
		return true
	})
}

func (c *checker) rangeStmt(n *ast.RangeStmt) {
	isMap, isChan := kinds(c.typeOf(n.X))
	switch {
	case isChan:
		c.report(n, "channel", "range over a channel")
	case isMap:
		c.mapOrder(n, "range over a map")
	}
}

func (c *checker) mapOrder(n ast.Node, what string) {
	if !c.lines[c.fset.Position(n.Pos()).Line] {
		c.report(n, "maprange", "%s: its order is random; sort the keys (actors.SortedKeys) or mark the line %s <reason>", what, unorderedMarker)
	}
}

func (c *checker) typeOf(e ast.Expr) types.Type {
	if tv, ok := c.info.Types[e]; ok {
		return tv.Type
	}
	return nil
}

// kinds reports whether t is (or, for a type parameter, may be) a map or
// a channel.
func kinds(t types.Type) (isMap, isChan bool) {
	if t == nil {
		return false, false
	}
	switch u := t.Underlying().(type) {
	case *types.Map:
		return true, false
	case *types.Chan:
		return false, true
	case *types.Interface:
		if _, ok := t.(*types.TypeParam); !ok {
			return false, false
		}
		return termKinds(u)
	}
	return false, false
}

// termKinds looks through a constraint's type terms for maps and channels.
func termKinds(iface *types.Interface) (isMap, isChan bool) {
	for i := 0; i < iface.NumEmbeddeds(); i++ {
		var m, ch bool
		switch e := iface.EmbeddedType(i).(type) {
		case *types.Union:
			for j := 0; j < e.Len(); j++ {
				tm, tc := kinds(e.Term(j).Type())
				m, ch = m || tm, ch || tc
			}
		default:
			if in, ok := e.Underlying().(*types.Interface); ok {
				m, ch = termKinds(in)
			} else {
				m, ch = kinds(e)
			}
		}
		isMap, isChan = isMap || m, isChan || ch
	}
	return isMap, isChan
}

func (c *checker) call(n *ast.CallExpr) {
	fun := ast.Unparen(n.Fun)
	switch x := fun.(type) {
	case *ast.IndexExpr: // explicit instantiation f[T](…)
		fun = ast.Unparen(x.X)
	case *ast.IndexListExpr:
		fun = ast.Unparen(x.X)
	}
	c.calls[fun] = n
	// Built-ins: make(chan T), close(ch).
	if id, ok := fun.(*ast.Ident); ok {
		if b, ok := c.info.Uses[id].(*types.Builtin); ok {
			switch b.Name() {
			case "make":
				if len(n.Args) > 0 {
					if _, isChan := kinds(c.typeOf(n.Args[0])); isChan {
						c.report(n, "channel", "make(chan)")
					}
				}
			case "close":
				c.report(n, "channel", "close of a channel")
			}
		}
		return
	}
	if fn, ok := c.funcOf(fun); ok && fn.Pkg() != nil && fn.Pkg().Path() == "slices" && sortingFuncs[fn.Name()] && len(n.Args) > 0 {
		c.sorted[ast.Unparen(n.Args[0])] = true
	}
}

// funcOf returns the function or method e names, if it does.
func (c *checker) funcOf(e ast.Expr) (*types.Func, bool) {
	var id *ast.Ident
	switch e := e.(type) {
	case *ast.Ident:
		id = e
	case *ast.SelectorExpr:
		id = e.Sel
	default:
		return nil, false
	}
	fn, ok := c.info.Uses[id].(*types.Func)
	return fn, ok
}

func (c *checker) selector(sel *ast.SelectorExpr) {
	c.seen[sel.Sel] = true
	if id, ok := sel.X.(*ast.Ident); ok {
		if _, isPkg := c.info.Uses[id].(*types.PkgName); isPkg {
			c.use(sel, sel.Sel, nil)
			return
		}
	}
	c.use(sel, sel.Sel, sel.X)
}

// use checks one reference to an object — a call, a method value, a
// function value — wherever it appears. n is the whole reference (a
// selector or an identifier), id its name and x the receiver expression
// of a method or field selector (nil for a package-level name).
func (c *checker) use(n ast.Expr, id *ast.Ident, x ast.Expr) {
	obj := c.info.Uses[id]
	if obj == nil {
		return
	}
	call := c.calls[n]
	if x != nil {
		if t := ioType(c.typeOf(x)); t != "" {
			if _, isFunc := obj.(*types.Func); isFunc {
				c.report(n, "io", "%s.%s: real I/O belongs in a driver", t, id.Name)
				return
			}
		}
		if c.methodByName(n, id.Name, call) {
			return
		}
	}
	if obj.Pkg() == nil {
		return
	}
	path, name := obj.Pkg().Path(), obj.Name()
	switch o := obj.(type) {
	case *types.Func:
		if recv := o.Signature().Recv(); recv != nil {
			c.method(n, recv.Type(), name)
			return
		}
		c.packageFunc(n, path, name, call)
	case *types.Var:
		if !o.IsField() && o.Parent() == o.Pkg().Scope() {
			c.packageFunc(n, path, name, nil)
		}
	}
}

// methodByName applies the rules that go by a method's name alone, on any
// receiver (protoactor's contexts are interfaces with many implementers).
func (c *checker) methodByName(n ast.Expr, name string, call *ast.CallExpr) bool {
	switch name {
	case "SetReceiveTimeout":
		c.report(n, "timeout", "SetReceiveTimeout runs a wall-clock timer; use actors.SetIdleTimeout")
	case "StopFuture", "PoisonFuture":
		c.report(n, "future", "%s waits on a 10 s wall-clock future; use Watch and Terminated", name)
	case "RequestFuture":
		if call == nil || len(call.Args) != 3 || !c.negativeConstant(call.Args[2]) {
			c.report(n, "future", "RequestFuture with a timeout ≥ 0 arms a wall-clock timer; use actors.Ask")
		}
	default:
		return false
	}
	return true
}

// method applies the rules on the methods of known types, found by the
// type that declares the method (so embedding does not hide it).
func (c *checker) method(n ast.Expr, recv types.Type, name string) {
	if p, ok := recv.(*types.Pointer); ok {
		recv = p.Elem()
	}
	named, ok := recv.(*types.Named)
	if !ok || named.Obj().Pkg() == nil {
		return
	}
	path, typ := named.Obj().Pkg().Path(), named.Obj().Name()
	if t := ioType(recv); t != "" {
		c.report(n, "io", "%s.%s: real I/O belongs in a driver", t, name)
		return
	}
	methods := bannedMethods[path][typ]
	rule := methods[name]
	if rule == "" {
		rule = methods["*"]
	}
	switch rule {
	case "":
	case "future":
		c.report(n, rule, "%s.%s.%s blocks the actor", path, typ, name)
	case "maprange":
		c.mapOrder(n, path+"."+typ+"."+name)
	case "io":
		c.report(n, rule, "%s.%s.%s: real I/O belongs in a driver", path, typ, name)
	case "reflect":
		c.report(n, rule, "%s.%s.%s picks a method at run time, out of the guard's sight", path, typ, name)
	default:
		c.report(n, rule, "%s.%s.%s breaks the %q rule", path, typ, name, rule)
	}
}

func (c *checker) packageFunc(n ast.Expr, path, name string, call *ast.CallExpr) {
	switch {
	case path == "time" && bannedTime[name]:
		c.report(n, "time", "time.%s: use the actor clock (actors.FromContext(ctx).Now, actors.After/Every)", name)
		return
	case path == "math/rand" || path == "math/rand/v2":
		if _, isFunc := c.info.Uses[identOf(n)].(*types.Func); isFunc && !randConstructors[name] {
			c.report(n, "rand", "%s.%s: global randomness; use the system's seeded rand (actors.FromContext(ctx).Rand())", path, name)
		}
		return
	case path == protoactorActor && name == "NewFuture":
		if call == nil || len(call.Args) != 2 || !c.negativeConstant(call.Args[1]) {
			c.report(n, "future", "actor.NewFuture with a timeout ≥ 0 arms a wall-clock timer; use actors.Ask")
		}
		return
	case path == protoactorActor && (name == "NewOneForOneStrategy" || name == "NewAllForOneStrategy"):
		if call == nil || len(call.Args) != 3 || !c.zeroConstant(call.Args[1]) {
			c.report(n, "time", "actor.%s with a restart window counts restarts on the wall clock; use actors.OneForOne", name)
		}
		return
	}
	funcs := bannedFuncs[path]
	rule, listed := funcs[name]
	if !listed {
		rule = funcs["*"]
	}
	if _, isFunc := c.info.Uses[identOf(n)].(*types.Func); !isFunc && !listed && path != "crypto/rand" {
		return // only functions fall under "*", and crypto/rand's Reader
	}
	switch rule {
	case "":
	case "io":
		c.report(n, rule, "%s.%s: real I/O belongs in a driver", path, name)
	case "rand":
		c.report(n, rule, "%s.%s: OS randomness; use the system's seeded rand (actors.FromContext(ctx).Rand())", path, name)
	case "time":
		c.report(n, rule, "%s.%s: a wall-clock timer; use the actor clock (actors.After/Every, actors.Ask)", path, name)
	case "go":
		c.report(n, rule, "%s.%s starts a goroutine", path, name)
	case "runtime":
		c.report(n, rule, "%s.%s depends on the Go scheduler", path, name)
	case "maprange":
		if !c.sorted[n] && !c.sorted[c.calls[n]] {
			c.mapOrder(n, path+"."+name)
		}
	case "mailbox":
		c.report(n, rule, "actor.%s blocks the sender when full", name)
	default:
		c.report(n, rule, "%s.%s breaks the %q rule", path, name, rule)
	}
}

func identOf(e ast.Expr) *ast.Ident {
	switch e := e.(type) {
	case *ast.Ident:
		return e
	case *ast.SelectorExpr:
		return e.Sel
	}
	return nil
}

func (c *checker) negativeConstant(e ast.Expr) bool {
	tv, ok := c.info.Types[e]
	if !ok || tv.Value == nil {
		return false
	}
	return strings.HasPrefix(tv.Value.ExactString(), "-")
}

func (c *checker) zeroConstant(e ast.Expr) bool {
	tv, ok := c.info.Types[e]
	return ok && tv.Value != nil && tv.Value.ExactString() == "0"
}

// ioType names t if it is *os.File or one of package net's types that do
// I/O (connections, listeners, dialers, resolvers), else "".
func ioType(t types.Type) string {
	if t == nil {
		return ""
	}
	if p, ok := t.(*types.Pointer); ok {
		t = p.Elem()
	}
	named, ok := t.(*types.Named)
	if !ok || named.Obj().Pkg() == nil {
		return ""
	}
	path, name := named.Obj().Pkg().Path(), named.Obj().Name()
	switch {
	case path == "os" && name == "File":
		return "*os.File"
	case path == "net" && name != "IP" && name != "IPMask" && name != "IPNet" && !strings.HasSuffix(name, "Addr") && name != "HardwareAddr":
		return "net." + name
	}
	return ""
}

// unorderedLines returns the lines a //detguard:unordered comment covers:
// its own line if it trails code, else the next one.
func unorderedLines(fset *token.FileSet, f *ast.File) map[int]bool {
	code := map[int]bool{} // lines where some syntax starts or ends
	ast.Inspect(f, func(n ast.Node) bool {
		switch n.(type) {
		case nil, *ast.Comment, *ast.CommentGroup:
			return false
		}
		code[fset.Position(n.Pos()).Line] = true
		code[fset.Position(n.End()-1).Line] = true
		return true
	})
	lines := map[int]bool{}
	for _, cg := range f.Comments {
		for _, cm := range cg.List {
			if strings.HasPrefix(cm.Text, unorderedMarker) && len(strings.TrimSpace(strings.TrimPrefix(cm.Text, unorderedMarker))) > 0 {
				l := fset.Position(cm.Pos()).Line
				if code[l] {
					lines[l] = true
				} else {
					lines[l+1] = true
				}
			}
		}
	}
	return lines
}
