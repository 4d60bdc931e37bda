package signalbus

// OnDefaultConnect makes f run just before each default connection is
// made, until the returned restore is called (for package signalbus_test's
// tests of races with DisconnectDefaults).
func OnDefaultConnect(f func()) (restore func()) {
	old := testHookDefaultConnect.Swap(&f)
	return func() { testHookDefaultConnect.Store(old) }
}

// CrashSignal makes the actor of sig fail, as a bug in it would: it sends
// the actor a connect request without a connection, on which it panics.
// Its supervisor restarts it.
func CrashSignal(sig SignalRef) { sig.base().send(&connectReq{}) }
