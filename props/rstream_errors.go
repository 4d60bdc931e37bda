package props

import (
	"github.com/actorio/actorio/streamactor/remote"
	"github.com/pkg/errors"
)

// ErrPlantedSource is the error the conformance suite's failing source
// and sink return (csSourceError). It is registered with the remote
// streams' error codec, as a program registers its own errors, so that
// errors.Is still finds it after it crossed nodes (remote conformance).
var ErrPlantedSource = errors.New("planted source failure")

func init() {
	if err := remote.RegisterError("actorio/props.ErrPlantedSource", ErrPlantedSource); err != nil {
		panic(err)
	}
}
