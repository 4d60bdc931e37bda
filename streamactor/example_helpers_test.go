package streamactor_test

import "github.com/asynkron/protoactor-go/actor"

type (
	actorContext = actor.Context
	startMsg     = *actor.Started
)

func actorProps(f func(actor.Context)) *actor.Props { return actor.PropsFromFunc(f) }
