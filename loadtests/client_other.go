//go:build !unix

package loadtests

// peekNoWait cannot peek here (Windows): it reports every idle connection
// open, so a connection the server closed is found on use, and a replayable
// request is retried on a new one, as net/http does.
func peekNoWait(fd uintptr, b []byte) (n int, open bool) { return 0, true }
