// Command lab runs the bottleneck lab: each documented incident reproduced
// with the service as it was when it broke and as it should be, measured,
// and judged.
//
//	lab list                          the cases, their sources and stories
//	lab run CASE… | --all [--quick]   run cases; results in lab-results/<time>/
//	lab init CASE [-o FILE] [-f]      an exercise's settings file (or plan) to start from
//	lab verify CASE --settings FILE   judge a student's settings (--quick, --json, --broken-runs DIR)
//	lab verify NAME --plan DIR        judge a student's load plan (--quick, --json, --broken-runs DIR)
//	lab workbook [CASE]               print an exercise
//	lab capacity [flags]              the back-of-the-envelope arithmetic
//	lab trace REQUEST_ID [--logs F]   one request's log lines in time order
//
// Exit codes: 0 ok, 1 a case did not reproduce or clear (or a run failed),
// 2 usage errors.
package main

import (
	"context"
	"fmt"
	"io"
	"os"

	"github.com/taskoverflow-lab/taskoverflow/internal/cli"
	"github.com/taskoverflow-lab/taskoverflow/internal/version"
)

const usage = `usage: lab COMMAND [flags]

commands:
  list                          list the cases with the passage each reproduces
  run CASE... | --all           run cases, broken then fixed, and judge them (--quick: the CI sizes)
  init CASE [-o FILE] [-f]      write the case's broken settings to start an exercise from (CASE.env);
                                for a plan exercise, the handout's plan (exercises/NAME/main.go)
  verify CASE --settings FILE   run the broken setup and yours, and judge yours (--quick, --json, --broken-runs DIR)
  verify NAME --plan DIR        build your load plan, run the handout's and yours, judge yours
                                (plan exercises: planners-and-studiers, generator-bottleneck, no-thresholds)
  workbook [CASE]               print a case's exercise (without CASE: the list)
  capacity [flags]              the practical's back-of-the-envelope: offered load vs capacity,
                                pool sum vs max_connections, Redis clients vs ElastiCache's limit
  trace REQUEST_ID [--logs F]   every log line of one request, in time order (stdin without --logs)
  version                       print the version (also -version)

Run "lab COMMAND -h" for the flags of one command.
Exit codes: 0 ok, 1 a case failed or a run could not be made, 2 usage error.
`

func main() {
	// The first signal cancels ctx: the run in progress stops its load and
	// its servers. A second one terminates at once.
	ctx, stop := cli.SignalContext(context.Background())
	code := run(ctx, os.Args[1:], os.Getenv, os.Stdin, os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// run dispatches to a subcommand and returns the process exit code.
func run(ctx context.Context, args []string, getenv func(string) string, stdin io.Reader, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return cli.ExitUsage
	}
	cmd, rest := args[0], args[1:]
	if version.IsRequest(cmd) {
		fmt.Fprintln(stdout, version.Line("lab"))
		return cli.ExitOK
	}
	switch cmd {
	case "list":
		return runList(rest, stdout, stderr)
	case "run":
		return runCases(ctx, rest, stdout, stderr)
	case "init":
		return runInit(rest, stdout, stderr)
	case "verify":
		return runVerify(ctx, rest, stdout, stderr)
	case "workbook":
		return runWorkbook(rest, stdout, stderr)
	case "capacity":
		return runCapacity(rest, stdout, stderr)
	case "trace":
		return runTrace(rest, stdin, stdout, stderr)
	case "-h", "-help", "--help", "help":
		fmt.Fprint(stdout, usage)
		return cli.ExitOK
	default:
		fmt.Fprintf(stderr, "lab: unknown command %q\n\n%s", cmd, usage)
		return cli.ExitUsage
	}
}
