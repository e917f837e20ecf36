// Package cli holds the conventions the project's commands share: flags may
// stand before, between or after the positional arguments, as in tcpgoon and
// most load tools, and asking for help (-h) is not an error.
package cli

import (
	"errors"
	"flag"
	"fmt"
	"io"
)

// Exit codes every command uses; commands add their own (loadtest's 99).
const (
	ExitOK      = 0
	ExitFailure = 1
	ExitUsage   = 2
)

// ParseInterleaved parses args with fs, letting flags come before, between
// or after the positional arguments, and returns the positional ones. It
// returns fs.Parse's error.
func ParseInterleaved(fs *flag.FlagSet, args []string) ([]string, error) {
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		args = fs.Args()
		if len(args) == 0 {
			return pos, nil
		}
		pos = append(pos, args[0])
		args = args[1:]
	}
}

// FlagExit maps a flag parsing error to an exit code: ExitOK for -h,
// ExitUsage otherwise.
func FlagExit(err error) int {
	if errors.Is(err, flag.ErrHelp) {
		return ExitOK
	}
	return ExitUsage
}

// NewFlagSet returns a flag set for one subcommand that reports errors on
// stderr and, for -h or a mistake, prints "usage: SYNOPSIS" and the flags.
func NewFlagSet(name, synopsis string, stderr io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintf(stderr, "usage: %s\n\nflags:\n", synopsis)
		fs.PrintDefaults()
	}
	return fs
}
