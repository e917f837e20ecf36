// Command loadtest runs load scenarios against the TaskOverflow API and checks
// how many TCP connections one instance can hold.
//
//	loadtest run SCENARIO [flags]   run a bundled scenario
//	loadtest list                   list the bundled scenarios
//	loadtest report SUMMARY.json    render a saved summary again (text, --html)
//	loadtest merge A.json B.json…   merge summaries of runs made side by side
//	loadtest k8s SCENARIO [flags]   write manifests: shards as an Indexed Job, a merge Job
//	loadtest conns HOST PORT        can one instance hold N connections?
//
// Exit codes: 0 ok, 99 thresholds crossed, 3 no request reached the server,
// 4 the shards given to merge are not the whole run (incomplete), 2 usage
// errors, 1 other failures.
package main

import (
	"context"
	"fmt"
	"io"
	"os"

	"github.com/taskoverflow-lab/taskoverflow/internal/cli"
	"github.com/taskoverflow-lab/taskoverflow/internal/version"
	"github.com/taskoverflow-lab/taskoverflow/loadtests"
)

// Exit codes shared by every subcommand; a run's are loadtests'.
const (
	exitOK        = cli.ExitOK
	exitFailure   = loadtests.ExitFailure
	exitUsage     = cli.ExitUsage
	exitThreshold = loadtests.ExitThreshold
	exitUnreached = loadtests.ExitUnreached
)

const usage = `usage: loadtest COMMAND [flags]

commands:
  run SCENARIO [flags]    run a bundled scenario against --endpoint (or $ENDPOINT)
  list                    list the bundled scenarios with their story
  report SUMMARY.json     print a saved summary again; --html writes its report
  merge A.json B.json...  merge summaries of runs made side by side, or the shards of
                          one run split by --shard/--segment, judged once (--out, --html)
  k8s SCENARIO [flags]    write Kubernetes manifests: the run as an Indexed Job of
                          --shards pods, then a merge Job whose exit code is the verdict
  conns HOST PORT         can one instance hold N parallel TCP connections?
  version                 print the version (also -version)

Run "loadtest COMMAND -h" for the flags of one command.
Exit codes: 0 ok, 99 thresholds crossed, 3 no request reached the server,
4 incomplete (merge: a shard missing or twice), 2 usage error, 1 other failure.
`

func main() {
	// The first SIGINT/SIGTERM cancels ctx: the run stops gracefully and still
	// writes its summary. Once ctx is done the handlers are reset, so a second
	// signal terminates the process at once.
	ctx, stop := cli.SignalContext(context.Background())
	code := run(ctx, os.Args[1:], os.Getenv, os.Stdin, os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// run dispatches to a subcommand and returns the process exit code.
func run(ctx context.Context, args []string, getenv func(string) string, stdin io.Reader, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return exitUsage
	}
	cmd, rest := args[0], args[1:]
	if version.IsRequest(cmd) {
		fmt.Fprintln(stdout, version.Line("loadtest"))
		return exitOK
	}
	switch cmd {
	case "run":
		return runScenario(ctx, rest, getenv, stdout, stderr)
	case "list":
		return runList(rest, stdout, stderr)
	case "report":
		return runReport(rest, stdout, stderr)
	case "merge":
		return runMerge(rest, stdout, stderr)
	case "k8s":
		return runK8s(rest, stdout, stderr)
	case "conns":
		return runConns(ctx, rest, stdin, stdout, stderr)
	case "-h", "-help", "--help", "help":
		fmt.Fprint(stdout, usage)
		return exitOK
	default:
		fmt.Fprintf(stderr, "loadtest: unknown command %q\n\n%s", cmd, usage)
		return exitUsage
	}
}
