//go:build !unix

package conncheck

// RaiseFDLimit returns an error wrapping errNoRLimit: the platform (Windows)
// has no RLIMIT_NOFILE. Run goes on and says so in its report.
func RaiseFDLimit() (soft, hard uint64, err error) { return 0, 0, errNoRLimit }
