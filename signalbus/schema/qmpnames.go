package schema

// ReservedArg is the accessor argument name QMP reserves: the proposal's
// <accessor>-disconnect takes the connection's tag in the same object as
// the accessor's arguments.
const ReservedArg = "tag"

// checkAccessorNames refuses the accessor arguments of c (returning event
// t) that could not work over QMP, where signalbus/qmp serves them: one
// named tag, which <accessor>-disconnect takes beside them, and one named
// like a member of t, since an event's data holds the accessor arguments
// it was emitted for and the event's members in one JSON object (a name
// there once could not carry both values, which may differ in value and
// in type, and a connection filtered on the argument would see the
// member's value under its name).
func (s *Schema) checkAccessorNames(l *lexer, c *Command, t *Type) error {
	for _, m := range c.Args {
		if m.Name == ReservedArg {
			return l.errf(m.Pos, "%s: accessor argument '%s' is reserved: over QMP, %s-disconnect takes the connection's tag beside the accessor's arguments, and could not tell them apart; rename the argument",
				c.Name, m.Name, c.Name)
		}
		for _, em := range t.Members {
			if em.Name == m.Name {
				return l.errf(m.Pos, "%s: accessor argument '%s' has the name of a member of event %s (%d:%d): over QMP the event's data holds the accessor's arguments and the event's members in one object, where a name can be once; rename one, or drop the member (the data carries the argument)",
					c.Name, m.Name, t.Name, em.Pos.Line, em.Pos.Col)
			}
		}
	}
	return nil
}
