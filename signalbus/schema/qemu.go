package schema

import "fmt"

// qemuKeywords are the keywords of QEMU's own schema expressions
// (docs/devel/qapi-code-gen.rst), which this notation does not have,
// each with how the notation writes the thing instead.
var qemuKeywords = map[string]string{
	"event":     "an event is a type whose name ends in Event, { 'FooEvent': { 'member': 'type' } }",
	"struct":    "a type is { 'Name': { 'member': 'type' } }",
	"enum":      "an enum is { 'Name': [ 'value', ... ] }",
	"command":   "a command is [ 'name', { 'arg': 'type' }, { options }, 'Returns' ]",
	"union":     "it has no unions",
	"alternate": "it has no alternates",
	"include":   "it has no includes; put every declaration in one schema",
	"pragma":    "it has no naming rules to relax; drop it",
}

// qemuExpression returns an error at the first of object v's keys that
// is a keyword of QEMU's schema expressions, saying that the notation
// has no such expression; nil when there is none. It is called where v
// is not a declaration of this notation, to explain why.
func qemuExpression(l *lexer, v *value) error {
	for i, k := range v.keys {
		if how, ok := qemuKeywords[k]; ok {
			return l.errf(v.kpos[i], "QEMU's '%s' expression is not part of this notation: %s", k, how)
		}
	}
	return nil
}

// qemuBuiltins are QEMU's builtin types that this notation lacks, each
// with the notation's type that holds its values.
var qemuBuiltins = map[string]string{
	"int8": "int", "int16": "int", "int32": "int", "int64": "int",
	"uint8": "int", "uint16": "int", "uint32": "int", "uint64": "int", "size": "int",
	"null": "any", "QType": "str",
}

// unknownType says that type name is unknown (what is "type" or "return
// type"), and which type to use when it is one of QEMU's builtins.
func unknownType(what, name string) string {
	if use, ok := qemuBuiltins[name]; ok {
		return fmt.Sprintf("unknown %s %q (a QEMU builtin type this notation does not have: use %s)", what, name, use)
	}
	return fmt.Sprintf("unknown %s %q", what, name)
}
