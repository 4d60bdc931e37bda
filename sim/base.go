package sim

import (
	"log/slog"
	"reflect"
	"sync"
	"unsafe"

	"github.com/asynkron/protoactor-go/actor"
	"github.com/asynkron/protoactor-go/eventstream"
	"github.com/asynkron/protoactor-go/extensions"
	cmap "github.com/orcaman/concurrent-map"
)

// baseSystem builds a protoactor ActorSystem for a simulated node without
// actor.NewActorSystem, whose process registry alone costs 1,024
// concurrent maps of 32 shards each (about 3 MB and 67,000 allocations, 90%
// of a small seed's run time). A node runs on one goroutine and holds few
// actors, so a single bucket does. The fields protoactor does not export
// (its logger and stop channel) are copied from one template system and
// then set per node; TestBaseSystemFields guards this against protoactor
// changing them.
func baseSystem(logger *slog.Logger) *actor.ActorSystem {
	as := new(actor.ActorSystem)
	*as = *template()
	setField(as, "logger", logger)
	setField(as, "stopper", make(chan struct{}))
	as.ProcessRegistry = &actor.ProcessRegistryValue{
		ActorSystem: as,
		Address:     "nonhost",
		LocalPIDs:   &actor.SliceMap{LocalPIDs: []cmap.ConcurrentMap{cmap.New()}},
	}
	as.Root = actor.NewRootContext(as, nil)
	as.Guardians = actor.NewGuardians(as)
	as.EventStream = eventstream.NewEventStream()
	as.DeadLetter = actor.NewDeadLetter(as)
	as.Extensions = extensions.NewExtensions()
	as.Extensions.Register(actor.NewMetrics(as, nil))
	as.ProcessRegistry.Add(actor.NewEventStreamProcess(as), "eventstream")
	return as
}

var (
	templateOnce sync.Once
	templateSys  *actor.ActorSystem
)

func template() *actor.ActorSystem {
	templateOnce.Do(func() {
		templateSys = actor.NewActorSystem(actor.WithLoggerFactory(func(*actor.ActorSystem) *slog.Logger {
			return slog.New(slog.DiscardHandler)
		}))
	})
	return templateSys
}

// setField sets the unexported field name of as to v.
func setField(as *actor.ActorSystem, name string, v any) {
	f := reflect.ValueOf(as).Elem().FieldByName(name)
	if !f.IsValid() {
		panic("sim: protoactor's ActorSystem has no field " + name)
	}
	reflect.NewAt(f.Type(), unsafe.Pointer(f.UnsafeAddr())).Elem().Set(reflect.ValueOf(v))
}
