// Package cli holds the conventions the project's commands share: flags may
// stand before, between or after the positional arguments, as in tcpgoon and
// most load tools, and asking for help (-h) is not an error.
package cli

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"
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
// A duration flag given a bare number ("--service-time 100") gets one line
// saying to add a unit, not the flag package's "parse error" and the usage.
func NewFlagSet(name, synopsis string, stderr io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	hinted := false
	fs.SetOutput(writerFunc(func(p []byte) (int, error) {
		var value, flagName string
		if _, err := fmt.Sscanf(string(p), "invalid value %q for flag -%s", &value, &flagName); err == nil {
			flagName = strings.TrimSuffix(flagName, ":")
			_, isNumber := strconv.ParseFloat(value, 64)
			if f := fs.Lookup(flagName); f != nil && isNumber == nil {
				if g, ok := f.Value.(flag.Getter); ok {
					if _, ok := g.Get().(time.Duration); ok {
						hinted = true
						fmt.Fprintf(stderr, "%s: --%s %s: add a unit, such as %sms or %ss\n", name, flagName, value, value, value)
						return len(p), nil
					}
				}
			}
		}
		return stderr.Write(p)
	}))
	fs.Usage = func() {
		if hinted {
			hinted = false
			return
		}
		fmt.Fprintf(stderr, "usage: %s\n\nflags:\n", synopsis)
		fs.PrintDefaults()
	}
	return fs
}

// writerFunc is an io.Writer made of a function.
type writerFunc func(p []byte) (int, error)

func (f writerFunc) Write(p []byte) (int, error) { return f(p) }
