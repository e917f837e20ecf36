package main

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/taskoverflow-lab/taskoverflow/internal/cli"
	"github.com/taskoverflow-lab/taskoverflow/lab/trace"
)

// listFlag collects a repeatable string flag.
type listFlag []string

func (l *listFlag) String() string     { return strings.Join(*l, ", ") }
func (l *listFlag) Set(v string) error { *l = append(*l, v); return nil }

func runTrace(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	fs := cli.NewFlagSet("lab trace", "lab trace REQUEST_ID [--logs FILE|DIR]...", stderr)
	var logs listFlag
	fs.Var(&logs, "logs", "the server's JSON log `FILE`, or a DIR whose *.log files are read (repeatable; default stdin)")
	pos, err := cli.ParseInterleaved(fs, args)
	if err != nil {
		return cli.FlagExit(err)
	}
	if len(pos) != 1 || pos[0] == "" {
		fmt.Fprintln(stderr, "lab trace: give one REQUEST_ID (from a load summary's slowest requests or errors, or an X-Request-ID header)")
		return cli.ExitUsage
	}
	id := pos[0]
	var lines []trace.Line
	if len(logs) == 0 {
		if lines, err = trace.Read(stdin, "", id); err != nil {
			fmt.Fprintf(stderr, "lab trace: stdin: %v\n", err)
			return cli.ExitFailure
		}
	}
	var files []string
	sources := map[string]string{} // a file's name in the output
	for _, p := range logs {
		st, err := os.Stat(p)
		if err != nil {
			fmt.Fprintf(stderr, "lab trace: %v\n", err)
			return cli.ExitUsage
		}
		if !st.IsDir() {
			files = append(files, p)
			continue
		}
		// A run's folder holds api.log; a case's folder holds broken/ and
		// fixed/, each with its own.
		found, _ := filepath.Glob(filepath.Join(p, "*.log"))
		if len(found) == 0 {
			found, _ = filepath.Glob(filepath.Join(p, "*", "*.log"))
		}
		if len(found) == 0 {
			fmt.Fprintf(stderr, "lab trace: no *.log file in %s or its subfolders (a lab case's folder holds broken/api.log and fixed/api.log)\n", p)
			return cli.ExitUsage
		}
		for _, f := range found {
			files = append(files, f)
			sources[f], _ = filepath.Rel(p, f)
		}
	}
	for _, p := range files {
		f, err := os.Open(p)
		if err != nil {
			fmt.Fprintf(stderr, "lab trace: %v\n", err)
			return cli.ExitFailure
		}
		source := ""
		if len(files) > 1 {
			source = sources[p]
			if source == "" {
				source = filepath.Base(p)
			}
		}
		got, err := trace.Read(f, source, id)
		f.Close()
		if err != nil {
			fmt.Fprintf(stderr, "lab trace: %s: %v\n", p, err)
			return cli.ExitFailure
		}
		lines = append(lines, got...)
	}
	trace.Sort(lines)
	if len(lines) == 0 && len(logs) == 0 {
		fmt.Fprintf(stderr, "lab trace: no log line on stdin has request_id %q. Give the server's log with --logs: "+
			"a lab run's are lab-results/<time>/CASE/ (both runs) or its broken/api.log or fixed/api.log; "+
			"a server of your own writes its JSON lines to stdout (LOG_FORMAT=json LOG_LEVEL=debug for each SQL "+
			"statement and Redis command), so save them (./bin/taskoverflow serve > api.log) and pass --logs api.log\n", id)
		return cli.ExitFailure
	}
	if err := trace.Write(stdout, id, lines); err != nil {
		fmt.Fprintf(stderr, "lab trace: %v\n", err)
		return cli.ExitFailure
	}
	return cli.ExitOK
}
