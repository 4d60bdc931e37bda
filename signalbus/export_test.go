package signalbus

// OnDefaultConnect makes f run just before each default connection is
// made, until the returned restore is called (for package signalbus_test's
// tests of races with DisconnectDefaults).
func OnDefaultConnect(f func()) (restore func()) {
	old := testHookDefaultConnect.Swap(&f)
	return func() { testHookDefaultConnect.Store(old) }
}
