package cli

import "golang.org/x/term"

// IsTerminal reports whether f (an *os.File or anything with a descriptor) is
// a terminal: not merely a character device such as /dev/null. It is false
// for anything without a descriptor (a buffer, a pipe wrapper).
func IsTerminal(f any) bool {
	fd, ok := f.(interface{ Fd() uintptr })
	return ok && term.IsTerminal(int(fd.Fd()))
}

// DrawsInPlace reports whether w is a terminal that understands cursor
// moves: a terminal whose TERM (read through getenv) is set and not "dumb".
func DrawsInPlace(w any, getenv func(string) string) bool {
	if !IsTerminal(w) {
		return false
	}
	t := getenv("TERM")
	return t != "" && t != "dumb"
}
