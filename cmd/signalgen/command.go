package main

import (
	"strconv"
	"strings"

	"github.com/actorio/actorio/signalbus/schema"
)

// command writes the Client method of command c (and its arguments
// struct), as its options say:
//
//   - arguments given as an object: the struct <Command>Args; given as a
//     type name (boxed or not): that type;
//   - 'gen': false: no typed marshalling, the method sends args as they
//     are and returns the raw JSON return, for hand-written code to wrap;
//   - 'success-response': false: the method returns only an error, and
//     takes ctx ending without an error reply for success;
//   - 'allow-oob', 'allow-preconfig', 'coroutine' and features are
//     documented on the method (deprecated as a Deprecated: paragraph).
func (g *gen) command(c *schema.Command) {
	n := g.n.method[c]
	o := &c.Options
	params, argv := "ctx context.Context", "nil"
	switch {
	case !o.Gen:
		params, argv = "ctx context.Context, args any", "args"
	case c.ArgsType != "":
		params, argv = "ctx context.Context, args "+g.n.typ[c.ArgsType], "args"
	case g.n.args[c] != "":
		argsType := g.n.args[c]
		g.p("// %s holds the arguments of %s.\n", argsType, c.Name)
		g.structType(argsType, c.Args)
		params, argv = "ctx context.Context, args "+argsType, "args"
	}
	ret := ""
	switch {
	case !o.SuccessResponse:
	case !o.Gen:
		ret = "json.RawMessage"
	case c.Returns != "" && c.Returns != "none":
		ret = g.goType(&schema.Member{Type: c.Returns, List: c.List})
	}
	g.p("// %s runs %s.\n", n, c.Name)
	g.commandDoc(c)
	switch {
	case !o.SuccessResponse:
		g.p("func (c *Client) %s(%s) error {\nif err := ctx.Err(); err != nil {\nreturn errors.Wrap(err, %q)\n}\n", n, params, "qmp: "+c.Name)
		g.p("if err := c.Execute(ctx, %q, %s, nil); err != nil && (ctx.Err() == nil || !errors.Is(err, ctx.Err())) {\nreturn err\n}\nreturn nil\n}\n\n", c.Name, argv)
	case ret == "":
		g.p("func (c *Client) %s(%s) error {\nreturn c.Execute(ctx, %q, %s, nil)\n}\n\n", n, params, c.Name, argv)
	default:
		g.p("func (c *Client) %s(%s) (%s, error) {\nvar out %s\nerr := c.Execute(ctx, %q, %s, &out)\nreturn out, err\n}\n\n", n, params, ret, ret, c.Name, argv)
	}
}

// commandDoc writes the doc comment lines that c's options add.
func (g *gen) commandDoc(c *schema.Command) {
	o := &c.Options
	var notes []string
	if !o.Gen {
		notes = append(notes, "The schema generates no marshalling for it ('gen': false): args (nil: none) is sent as it is, and the return comes back as raw JSON, for hand-written code to wrap.")
	}
	if c.ArgsType != "" && o.Boxed {
		notes = append(notes, "Its arguments are one "+g.n.typ[c.ArgsType]+" ('boxed': true).")
	}
	if !o.SuccessResponse {
		notes = append(notes, "The server sends no reply when it succeeds ('success-response': false): the call returns the error the server replies with, or nil once ctx ends without one (or at once if a reply comes), so give ctx a deadline: how long to wait for an error. The connection ending first is an error.")
	}
	if o.AllowOOB {
		notes = append(notes, "The server may run it out of band ('allow-oob': true); this client sends it in band.")
	}
	if o.AllowPreconfig {
		notes = append(notes, "The server accepts it before the machine is configured ('allow-preconfig': true).")
	}
	if o.Coroutine {
		notes = append(notes, "The server runs it in a coroutine ('coroutine': true).")
	}
	var other []string
	for _, f := range o.Features {
		switch f.Name {
		case "deprecated":
		case "unstable":
			notes = append(notes, "The schema marks it unstable.")
		default:
			other = append(other, strconv.Quote(f.Name))
		}
	}
	if len(other) > 0 {
		notes = append(notes, "Features: "+strings.Join(other, ", ")+".")
	}
	for _, note := range notes {
		g.p("//\n// %s\n", note)
	}
	if o.HasFeature("deprecated") {
		g.p("//\n// Deprecated: the schema marks %s deprecated.\n", c.Name)
	}
}
