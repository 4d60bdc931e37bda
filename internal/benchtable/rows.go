package main

// kind says how a row reads its benchmark.
type kind int

const (
	// throughput: x-base (our throughput ÷ the baseline's, measured in the
	// same run by benchcmp.Compare) must be at least Target.
	throughput kind = iota
	// cost: ours-ns/op ÷ base-ns/op (time or cost per unit) must be at
	// most Target.
	cost
	// absolute: the benchmark's Metric must be at least Target (0: the
	// row only reports it).
	absolute
	// ceiling: the benchmark's Metric must be at most Target.
	ceiling
)

// row is one line of the table.
type row struct {
	Workload string
	Pkg      string // package pattern the benchmark lives in
	Bench    string // benchmark name, without "Benchmark"
	Baseline string // what it is compared with
	Kind     kind
	Metric   string // absolute/ceiling rows: the metric to read
	Unit     string // how to print the value (cost rows: "" prints durations)
	Target   float64
	// Ours and Base name the metrics a throughput or cost row compares
	// (default "ours-ns/op" and "base-ns/op").
	Ours, Base string
}

// rows is the suite: the workloads, then the rows that show costs
// scale with the work and nothing else.
var rows = []row{
	{Workload: "local stream, blocking Send/Recv, 256 KiB chunks", Pkg: "./streamactor", Bench: "SendRecv256K",
		Baseline: "io.Pipe, same chunks", Kind: throughput, Target: 0.5},
	{Workload: "sparse copy, 4 GiB image, 64 × 1 MiB extents", Pkg: "./examples/sparsecopy", Bench: "SparsecopyVsCp",
		Baseline: "cp --sparse=always --reflink=never (time)", Kind: cost, Target: 3},
	{Workload: "sparse copy, same, synced", Pkg: "./examples/sparsecopy", Bench: "SparsecopyVsCpSync",
		Baseline: "cp … && sync DST (time; sparsecopy's Finish syncs)", Kind: cost},
	{Workload: "sockactor PDU echo, loopback TCP, 1 KiB, batch reads (ReadPDUs)", Pkg: "./sockactor", Bench: "PDUEcho1KBatch",
		Baseline: "goroutine + bufio + net.Conn", Kind: throughput, Target: 0.7},
	{Workload: "sockactor PDU echo, loopback TCP, 1 KiB, one request per PDU (tsocket's model)", Pkg: "./sockactor", Bench: "PDUEcho1K",
		Baseline: "goroutine + bufio + net.Conn", Kind: throughput},
	{Workload: "sockactor PDU echo, loopback TCP, 64 KiB", Pkg: "./sockactor", Bench: "PDUEcho64K",
		Baseline: "goroutine + bufio + net.Conn", Kind: throughput, Target: 0.7},
	{Workload: "sockactor UDP send/recv", Pkg: "./sockactor", Bench: "UDPEcho",
		Baseline: "plain net.UDPConn", Kind: throughput, Target: 0.7},
	{Workload: "signalbus Emit → 100 actor slots", Pkg: "./signalbus", Bench: "EmitVsRawFanout",
		Baseline: "raw protoactor fan-out to 100 actors (cost per delivery)", Kind: cost, Target: 1.5},
	{Workload: "signalbus Emit → 100 actor slots", Pkg: "./signalbus", Bench: "EmitVsEventStream",
		Baseline: "protoactor eventstream, 100 subscribers (cost per delivery)", Kind: cost},
	{Workload: "QMP events over a unix socket", Pkg: "./signalbus/qmp", Bench: "QMPEventsUnix",
		Baseline: "— (absolute)", Kind: absolute, Metric: "events/s", Unit: "events/s"},
	{Workload: "remote stream, 2 processes, loopback", Pkg: "./streamactor/remote", Bench: "RemoteStream",
		Baseline: "raw TCP io.Copy between the same processes", Kind: throughput, Target: 0.3},
	{Workload: "the transport alone: protoactor remote, 2 processes, same chunks", Pkg: "./streamactor/remote", Bench: "RemoteBareProtoactor",
		Baseline: "raw TCP io.Copy between the same processes (the ceiling of any protocol on it)", Kind: throughput},
	{Workload: "remote signal events, 2 processes, loopback", Pkg: "./signalbus", Bench: "RemoteSignal",
		Baseline: "raw protoactor remote messages of the same bytes", Kind: throughput},
	{Workload: "sim pingpong", Pkg: "./sim", Bench: "PingpongEvents",
		Baseline: "— (events/s, one core)", Kind: absolute, Metric: "events/s", Unit: "events/s", Target: 2e6},
	{Workload: "sim small stream scenario", Pkg: "./props", Bench: "StreamScenarioSeeds",
		Baseline: "— (seeds/s, one core)", Kind: absolute, Metric: "seeds/s", Unit: "seeds/s", Target: 100},
	{Workload: "actor ping-pong round trip (real mode)", Pkg: "./actors", Bench: "PingPongReal",
		Baseline: "two goroutines, unbuffered channels", Kind: throughput},
	{Workload: "one message to a HotPath actor (real mode)", Pkg: "./actors", Bench: "SendHotPath",
		Baseline: "buffered channel to a consumer goroutine", Kind: throughput},

	// Costs that follow the work and nothing else.
	{Workload: "sparse copy: 64 GiB image vs 4 GiB, same data", Pkg: "./examples/sparsecopy", Bench: "SparseCopyScaling",
		Baseline: "the 4 GiB image (time ratio)", Kind: cost, Target: 1.5},
	{Workload: "memory per idle stream", Pkg: "./streamactor", Bench: "IdleStreamMemory",
		Baseline: "— (ceiling)", Kind: ceiling, Metric: "B/stream", Unit: "B", Target: 8 << 10},
	{Workload: "memory per idle signal connection", Pkg: "./signalbus", Bench: "IdleConnectionMemory",
		Baseline: "— (ceiling)", Kind: ceiling, Metric: "B/conn", Unit: "B", Target: 8 << 10},
	{Workload: "memory per idle socket", Pkg: "./sockactor", Bench: "IdleSocketMemory",
		Baseline: "— (ceiling; its two driver goroutines' stacks included)", Kind: ceiling, Metric: "B/socket", Unit: "B", Target: 16 << 10},
	{Workload: "memory under a stalled consumer ÷ window", Pkg: "./streamactor", Bench: "StalledConsumerMemory",
		Baseline: "the stream's window", Kind: ceiling, Metric: "x-window", Unit: "×", Target: 1},
	{Workload: "sim time per event, 10,000 actors vs 10", Pkg: "./sim", Bench: "EventCostScaling",
		Baseline: "10 actors (cost ratio)", Kind: cost, Target: 1.5},
	{Workload: "sim instructions per event, 10,000 actors vs 10 (cachegrind)", Pkg: cachegrindPkg, Bench: cachegrindBench,
		Baseline: "10 actors (instruction ratio)", Kind: cost, Target: 1.2, Unit: "instr",
		Ours: "ours-Ir/event", Base: "base-Ir/event"},
}
