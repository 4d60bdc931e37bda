package wire

import (
	"fmt"

	"github.com/actorio/actorio/actors"
	"github.com/pkg/errors"
)

// AskFailure makes a Refused reply fail the Ask (or Request) it answers,
// with an error wrapping actors.ErrRefused.
func (r *Refused) AskFailure() error {
	return errors.Wrap(actors.ErrRefused, fmt.Sprintf("%s refused a %s: %s", r.GetTarget(), r.GetTypeName(), r.GetReason()))
}
