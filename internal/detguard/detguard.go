// Package detguard enforces actorio's determinism rules on the code that
// runs inside actors (DESIGN.md, "Determinism rules"). It type-checks the
// actor packages and reports every use of a construct that would make a
// simulated run depend on the Go scheduler, the wall clock or global
// randomness:
//
//	go        a go statement
//	select    a select statement
//	channel   making, sending on, receiving from, closing or ranging over a channel
//	time      time.Now, Since, Until, Sleep, After, AfterFunc, Tick, NewTimer, NewTicker
//	rand      a package-level function of math/rand or math/rand/v2 (constructors excepted)
//	future    protoactor's RequestFuture with a timeout ≥ 0 (or not constant),
//	          StopFuture, PoisonFuture, and blocking Result()/Wait() on a
//	          protoactor Future or on package sync's types
//	timeout   SetReceiveTimeout
//	scheduler an import of protoactor's scheduler package
//	mailbox   protoactor's blocking Bounded mailbox
//	io        real I/O: os file and process calls, net dialing and listening,
//	          syscall and golang.org/x/sys/unix, and any method of *os.File or
//	          of package net's types
//	maprange  ranging over a map, unless the line (or the line above) says
//	          //detguard:unordered <why the order cannot be observed>
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

var bannedIO = map[string]map[string]bool{
	"os": {"Open": true, "OpenFile": true, "Create": true, "ReadFile": true, "WriteFile": true,
		"Remove": true, "RemoveAll": true, "Rename": true, "Mkdir": true, "MkdirAll": true,
		"Truncate": true, "StartProcess": true, "Exit": true, "Pipe": true, "NewFile": true},
	"net": {"Dial": true, "DialTimeout": true, "DialTCP": true, "DialUDP": true, "DialUnix": true,
		"DialIP": true, "Listen": true, "ListenPacket": true, "ListenTCP": true, "ListenUDP": true,
		"ListenUnix": true, "ListenUnixgram": true, "ListenIP": true, "FileConn": true, "FileListener": true},
}

// Check reports the violations in files, which share fset and info, minus
// what allow exempts. Findings are sorted by position.
func Check(fset *token.FileSet, info *types.Info, files []File, allow Allowlist) []Finding {
	var out []Finding
	for _, f := range files {
		c := &checker{fset: fset, info: info, path: f.Path, allow: allow[f.Path], lines: unorderedLines(fset, f.AST)}
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
	fset  *token.FileSet
	info  *types.Info
	path  string
	allow map[string]string
	lines map[int]bool // lines carrying (or following) the unordered marker
	found []Finding
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
		}
		return true
	})
}

func (c *checker) rangeStmt(n *ast.RangeStmt) {
	switch c.underlying(n.X).(type) {
	case *types.Chan:
		c.report(n, "channel", "range over a channel")
	case *types.Map:
		line := c.fset.Position(n.Pos()).Line
		if !c.lines[line] {
			c.report(n, "maprange", "range over a map: its order is random; sort the keys (actors.SortedKeys) or mark the line %s <reason>", unorderedMarker)
		}
	}
}

func (c *checker) underlying(e ast.Expr) types.Type {
	if tv, ok := c.info.Types[e]; ok && tv.Type != nil {
		return tv.Type.Underlying()
	}
	return nil
}

func (c *checker) call(n *ast.CallExpr) {
	// Built-ins: make(chan T), close(ch).
	if id, ok := n.Fun.(*ast.Ident); ok {
		if b, ok := c.info.Uses[id].(*types.Builtin); ok {
			switch b.Name() {
			case "make":
				if len(n.Args) > 0 {
					if _, isChan := c.underlying(n.Args[0]).(*types.Chan); isChan {
						c.report(n, "channel", "make(chan)")
					}
				}
			case "close":
				c.report(n, "channel", "close of a channel")
			}
		}
		return
	}
	sel, ok := n.Fun.(*ast.SelectorExpr)
	if !ok {
		return
	}
	name := sel.Sel.Name
	if pkg := c.packageOf(sel); pkg != "" {
		c.packageCall(n, pkg, name)
		return
	}
	c.methodCall(n, sel, name)
}

// packageOf returns the import path if sel is pkg.Name, else "".
func (c *checker) packageOf(sel *ast.SelectorExpr) string {
	id, ok := sel.X.(*ast.Ident)
	if !ok {
		return ""
	}
	if pn, ok := c.info.Uses[id].(*types.PkgName); ok {
		return pn.Imported().Path()
	}
	return ""
}

func (c *checker) packageCall(n *ast.CallExpr, pkg, name string) {
	switch {
	case pkg == "time" && bannedTime[name]:
		c.report(n, "time", "time.%s: use the actor clock (actors.FromContext(ctx).Now, actors.After/Every)", name)
	case (pkg == "math/rand" || pkg == "math/rand/v2") && !randConstructors[name]:
		c.report(n, "rand", "%s.%s: global randomness; use the system's seeded rand (actors.FromContext(ctx).Rand())", pkg, name)
	case pkg == protoactorActor && name == "Bounded":
		c.report(n, "mailbox", "actor.Bounded blocks the sender when full")
	case pkg == "syscall" || pkg == "golang.org/x/sys/unix":
		c.report(n, "io", "%s.%s: real I/O belongs in a driver", pkg, name)
	case bannedIO[pkg][name]:
		c.report(n, "io", "%s.%s: real I/O belongs in a driver", pkg, name)
	}
}

func (c *checker) methodCall(n *ast.CallExpr, sel *ast.SelectorExpr, name string) {
	if t := c.ioReceiver(sel.X); t != "" {
		c.report(n, "io", "%s.%s: real I/O belongs in a driver", t, name)
		return
	}
	switch name {
	case "SetReceiveTimeout":
		c.report(n, "timeout", "SetReceiveTimeout runs a wall-clock timer; use actors.SetIdleTimeout")
	case "StopFuture", "PoisonFuture":
		c.report(n, "future", "%s waits on a 10 s wall-clock future; use Watch and Terminated", name)
	case "RequestFuture":
		if len(n.Args) == 3 && !c.negativeConstant(n.Args[2]) {
			c.report(n, "future", "RequestFuture with a timeout ≥ 0 arms a wall-clock timer; use actors.Ask")
		}
	case "Result", "Wait":
		if len(n.Args) == 0 && c.blockingReceiver(sel.X) {
			c.report(n, "future", "%s() blocks the actor", name)
		}
	}
}

func (c *checker) negativeConstant(e ast.Expr) bool {
	tv, ok := c.info.Types[e]
	if !ok || tv.Value == nil {
		return false
	}
	return strings.HasPrefix(tv.Value.ExactString(), "-")
}

// ioReceiver names x's type if it is *os.File or one of package net's
// (connections, listeners), else "".
func (c *checker) ioReceiver(x ast.Expr) string {
	tv, ok := c.info.Types[x]
	if !ok || tv.Type == nil {
		return ""
	}
	t := tv.Type
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

// blockingReceiver reports whether x is a protoactor Future or one of
// package sync's waiting types.
func (c *checker) blockingReceiver(x ast.Expr) bool {
	tv, ok := c.info.Types[x]
	if !ok || tv.Type == nil {
		return false
	}
	t := tv.Type
	if p, ok := t.(*types.Pointer); ok {
		t = p.Elem()
	}
	named, ok := t.(*types.Named)
	if !ok || named.Obj().Pkg() == nil {
		return false
	}
	path := named.Obj().Pkg().Path()
	return (path == protoactorActor && named.Obj().Name() == "Future") || path == "sync"
}

// unorderedLines returns the lines a //detguard:unordered comment covers:
// its own line and the next one.
func unorderedLines(fset *token.FileSet, f *ast.File) map[int]bool {
	lines := map[int]bool{}
	for _, cg := range f.Comments {
		for _, cm := range cg.List {
			if strings.HasPrefix(cm.Text, unorderedMarker) && len(strings.TrimSpace(strings.TrimPrefix(cm.Text, unorderedMarker))) > 0 {
				l := fset.Position(cm.Pos()).Line
				lines[l], lines[l+1] = true, true
			}
		}
	}
	return lines
}
