//go:build !unix

package main

import "errors"

// fileLimit fails: the platform (Windows) has no RLIMIT_NOFILE.
func fileLimit() (soft, hard uint64, err error) {
	return 0, 0, errors.New("this platform has no RLIMIT_NOFILE")
}
