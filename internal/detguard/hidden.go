package detguard

import (
	"go/ast"
	"go/types"
	"strings"
)

// This file holds the checks for constructs that hide what they call from
// the rules above: a value that does real I/O handed on as an interface,
// a method chosen by name at run time (package reflect), and a
// //go:linkname directive.

// linknames reports every //go:linkname directive: it binds a name to
// another package's unexported code, which the guard cannot see.
func (c *checker) linknames(f *ast.File) {
	for _, cg := range f.Comments {
		for _, cm := range cg.List {
			if strings.HasPrefix(cm.Text, "//go:linkname") {
				c.report(cm, "linkname", "//go:linkname reaches code the guard cannot check")
			}
		}
	}
}

// hiddenIO reports a value of an I/O type (an *os.File, a net connection
// or listener) converted to an interface type: through the interface, its
// I/O methods no longer look like I/O. Conversions happen where a value
// is passed, assigned, returned, stored in a composite literal or
// converted explicitly.
func (c *checker) hiddenIO(n ast.Node, results *types.Tuple) {
	switch n := n.(type) {
	case *ast.CallExpr:
		c.callConversions(n)
	case *ast.AssignStmt:
		if len(n.Lhs) == len(n.Rhs) {
			for i, r := range n.Rhs {
				c.convert(r, c.typeOf(n.Lhs[i]))
			}
		}
	case *ast.ValueSpec:
		if n.Type != nil {
			for _, v := range n.Values {
				c.convert(v, c.typeOf(n.Type))
			}
		}
	case *ast.ReturnStmt:
		if results != nil && results.Len() == len(n.Results) {
			for i, r := range n.Results {
				c.convert(r, results.At(i).Type())
			}
		}
	case *ast.CompositeLit:
		c.literalConversions(n)
	}
}

func (c *checker) callConversions(n *ast.CallExpr) {
	fun := ast.Unparen(n.Fun)
	if tv, ok := c.info.Types[fun]; ok && tv.IsType() {
		if len(n.Args) == 1 {
			c.convert(n.Args[0], tv.Type)
		}
		return
	}
	sig, ok := c.typeOf(fun).(*types.Signature)
	if !ok {
		return
	}
	params := sig.Params()
	for i, a := range n.Args {
		var pt types.Type
		switch {
		case sig.Variadic() && i >= params.Len()-1:
			pt = params.At(params.Len() - 1).Type()
			if n.Ellipsis == 0 {
				if s, ok := pt.(*types.Slice); ok {
					pt = s.Elem()
				}
			}
		case i < params.Len():
			pt = params.At(i).Type()
		}
		c.convert(a, pt)
	}
}

func (c *checker) literalConversions(n *ast.CompositeLit) {
	t := c.typeOf(n)
	if t == nil {
		return
	}
	for i, e := range n.Elts {
		var et types.Type
		val := e
		if kv, ok := e.(*ast.KeyValueExpr); ok {
			val = kv.Value
		}
		switch u := t.Underlying().(type) {
		case *types.Struct:
			if kv, ok := e.(*ast.KeyValueExpr); ok {
				if id, ok := kv.Key.(*ast.Ident); ok {
					if f, ok := c.info.Uses[id].(*types.Var); ok {
						et = f.Type()
					}
				}
			} else if i < u.NumFields() {
				et = u.Field(i).Type()
			}
		case *types.Slice:
			et = u.Elem()
		case *types.Array:
			et = u.Elem()
		case *types.Map:
			et = u.Elem()
		}
		c.convert(val, et)
	}
}

// convert reports e if it has an I/O type and to is an interface type.
func (c *checker) convert(e ast.Expr, to types.Type) {
	if to == nil || !types.IsInterface(to) {
		return
	}
	from := c.typeOf(e)
	if from == nil {
		return
	}
	if t := hidesIO(from, 3); t != "" && !types.Identical(from, to) {
		c.report(e, "io", "%s converted to %s: its I/O would be hidden behind the interface", t, to)
	}
}

// hidesIO names the I/O type t is or embeds (looking depth levels of
// embedding deep), else "".
func hidesIO(t types.Type, depth int) string {
	if name := ioType(t); name != "" || depth == 0 {
		return name
	}
	if p, ok := t.(*types.Pointer); ok {
		t = p.Elem()
	}
	s, ok := t.Underlying().(*types.Struct)
	if !ok {
		return ""
	}
	for i := 0; i < s.NumFields(); i++ {
		if f := s.Field(i); f.Embedded() {
			if name := hidesIO(f.Type(), depth-1); name != "" {
				return name
			}
		}
	}
	return ""
}

// walkHidden runs hiddenIO over n, knowing the result types of the
// function each return statement belongs to.
func (c *checker) walkHidden(n ast.Node, results *types.Tuple) {
	ast.Inspect(n, func(m ast.Node) bool {
		if m == nil || m == n {
			return true
		}
		switch m := m.(type) {
		case *ast.FuncDecl:
			if fn, ok := c.info.Defs[m.Name].(*types.Func); ok && m.Body != nil {
				c.walkHidden(m.Body, fn.Signature().Results())
			}
			return false
		case *ast.FuncLit:
			if sig, ok := c.typeOf(m).(*types.Signature); ok {
				c.walkHidden(m.Body, sig.Results())
			}
			return false
		}
		c.hiddenIO(m, results)
		return true
	})
}
