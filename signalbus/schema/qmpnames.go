package schema

// ReservedArg is the accessor argument name QMP reserves: the proposal's
// <accessor>-disconnect takes the connection's tag in the same object as
// the accessor's arguments.
const ReservedArg = "tag"

// checkAccessorNames refuses the accessor arguments of c (returning event
// t) that could not work over QMP, where signalbus/qmp serves them: one
// named tag, which <accessor>-disconnect takes beside them.
func (s *Schema) checkAccessorNames(l *lexer, c *Command, t *Type) error {
	for _, m := range c.Args {
		if m.Name == ReservedArg {
			return l.errf(m.Pos, "%s: accessor argument '%s' is reserved: over QMP, %s-disconnect takes the connection's tag beside the accessor's arguments, and could not tell them apart; rename the argument",
				c.Name, m.Name, c.Name)
		}
	}
	return nil
}
