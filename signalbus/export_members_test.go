package signalbus

// MemberString reads member name of v as a throttle key or exemption
// does (for package signalbus_test's tests).
func MemberString[T any](name string, v *T) (string, error) {
	f, err := member[T](name)
	if err != nil {
		return "", err
	}
	return f(v), nil
}
