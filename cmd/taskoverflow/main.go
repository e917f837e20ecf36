// Command taskoverflow is the TaskOverflow API server.
//
//	taskoverflow [serve] [-backing-dir DIR]   serve the API (the default)
//	taskoverflow migrate                      apply database migrations and exit
//	taskoverflow healthcheck                  exit 0 when /api/v1/health answers 200 (for containers)
//	taskoverflow config                       print the configuration variables as a Markdown table
//	taskoverflow version                      print the version (also -version)
//
// Configuration comes from the environment; `taskoverflow config` lists it.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/taskoverflow-lab/taskoverflow/internal/version"

	"github.com/taskoverflow-lab/taskoverflow/internal/cli"
)

func main() {
	// A second signal ends the process at once.
	ctx, stop := cli.SignalContext(context.Background())
	err := run(ctx, os.Args[1:], os.Getenv, os.Stdout, os.Stderr)
	stop()
	if err != nil {
		fmt.Fprintln(os.Stderr, "taskoverflow:", err)
		var u usageError
		if errors.As(err, &u) {
			os.Exit(cli.ExitUsage)
		}
		os.Exit(cli.ExitFailure)
	}
}

// usageError is a mistake in the command line; main exits 2 for it.
type usageError struct{ msg string }

func (e usageError) Error() string { return e.msg }

const usage = `usage: taskoverflow [serve [-backing-dir DIR] | migrate | healthcheck | config | version]`

// run runs one subcommand; it returns when the work is done or, for serve,
// when ctx ends and the server has shut down.
func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	cmd := "serve"
	if len(args) > 0 {
		cmd, args = args[0], args[1:]
	}
	switch cmd {
	case "serve":
		return serve(ctx, args, getenv, stdout)
	case "migrate":
		return migrate(ctx, args, getenv, stdout)
	case "healthcheck":
		return healthcheck(ctx, getenv, stdout)
	case "config":
		return printConfig(stdout)
	case "version", "-version", "--version":
		fmt.Fprintln(stdout, version.Line("taskoverflow"))
		return nil
	case "-h", "-help", "--help", "help":
		fmt.Fprintln(stdout, usage)
		return nil
	}
	return usageError{fmt.Sprintf("unknown command %q\n%s", cmd, usage)}
}
