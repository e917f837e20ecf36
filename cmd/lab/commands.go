package main

import (
	"context"
	"fmt"
	"io"
	"path/filepath"
	"strings"
	"time"

	"github.com/taskoverflow-lab/taskoverflow/internal/cli"
	"github.com/taskoverflow-lab/taskoverflow/lab"
	"github.com/taskoverflow-lab/taskoverflow/lab/report"
)

func runList(args []string, stdout, stderr io.Writer) int {
	fs := cli.NewFlagSet("lab list", "lab list [--names]", stderr)
	namesOnly := fs.Bool("names", false, "print only the case names, one a line (for scripts such as make check)")
	if err := fs.Parse(args); err != nil {
		return cli.FlagExit(err)
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "lab list: takes no arguments, got %q\n", fs.Args())
		return cli.ExitUsage
	}
	if *namesOnly {
		for _, n := range lab.CaseNames() {
			fmt.Fprintln(stdout, n)
		}
		return cli.ExitOK
	}
	quick := map[string]bool{}
	for _, n := range lab.QuickCaseNames() {
		quick[n] = true
	}
	for _, c := range lab.All() {
		tag := ""
		if quick[c.Name] {
			tag = " [quick]"
		}
		fmt.Fprintf(stdout, "%s%s\n  %s\n  source: %s\n  \"%s\"\n  broken: %s\n  fixed:  %s\n\n",
			c.Name, tag, c.Story, c.Source, c.Passage, c.Broken.Summary, c.Fixed.Summary)
	}
	fmt.Fprintln(stdout, "Plan exercises (the fix is in exercises/NAME/main.go; lab verify NAME --plan exercises/NAME):")
	for _, name := range lab.PlanExerciseNames() {
		e, _ := lab.LookupPlanExercise(name)
		fmt.Fprintf(stdout, "\n%s\n  %s\n  source: %s\n", e.Name, e.Story, e.Source)
	}
	return cli.ExitOK
}

func runCases(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := cli.NewFlagSet("lab run", "lab run CASE... | --all [flags]", stderr)
	all := fs.Bool("all", false, "run every case")
	quick := fs.Bool("quick", false, "run the quick sizes (with --all: only the quick cases), as CI does")
	out := fs.String("out", "lab-results", "write results under `DIR`/<time>/CASE/")
	binary := fs.String("binary", "", "the API server `BINARY` (default: build ./cmd/taskoverflow)")
	quiet := fs.Bool("quiet", false, "print only the results, not the progress")
	names, err := cli.ParseInterleaved(fs, args)
	if err != nil {
		return cli.FlagExit(err)
	}
	switch {
	case *all && len(names) > 0:
		fmt.Fprintln(stderr, "lab run: give case names or --all, not both")
		return cli.ExitUsage
	case *all && *quick:
		names = lab.QuickCaseNames()
	case *all:
		names = lab.CaseNames()
	case len(names) == 0:
		fmt.Fprintf(stderr, "lab run: name the cases to run, or --all (cases: %s)\n", strings.Join(lab.CaseNames(), ", "))
		return cli.ExitUsage
	}
	cases, err := lab.Select(names)
	if err != nil {
		fmt.Fprintf(stderr, "lab run: %v\n", err)
		return cli.ExitUsage
	}
	dir := filepath.Join(*out, time.Now().Format("20060102-150405"))
	r := &lab.Runner{Dir: dir, Quick: *quick, Binary: *binary, Progress: stdout}
	if *quiet {
		r.Progress = nil
	}
	fmt.Fprintf(stdout, "lab: %d case(s), results in %s\n", len(cases), dir)
	code := cli.ExitOK
	var results []*lab.Result
	for _, c := range cases {
		res, err := r.RunCase(ctx, c)
		if err != nil {
			fmt.Fprintf(stderr, "lab run: %v\n", err)
			code = cli.ExitFailure
			if ctx.Err() != nil {
				break
			}
			continue
		}
		results = append(results, res)
		if err := report.WriteFiles(res); err != nil {
			fmt.Fprintf(stderr, "lab run: %v\n", err)
			code = cli.ExitFailure
		}
		report.WriteText(stdout, res)
		if !res.OK() {
			code = cli.ExitFailure
		}
	}
	if len(results) > 0 {
		if err := report.WriteIndex(dir, results); err != nil {
			fmt.Fprintf(stderr, "lab run: %v\n", err)
			code = cli.ExitFailure
		}
	}
	fmt.Fprintln(stdout)
	for _, res := range results {
		status := "ok  "
		if !res.OK() {
			status = "FAIL"
		}
		fmt.Fprintf(stdout, "%s %-24s %s\n", status, res.Case.Name, res.Dir)
	}
	return code
}
