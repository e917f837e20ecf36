package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	iofs "io/fs"
	"strings"
	"text/tabwriter"

	"github.com/taskoverflow-lab/taskoverflow/internal/cli"
	"github.com/taskoverflow-lab/taskoverflow/loadtests"
	"github.com/taskoverflow-lab/taskoverflow/loadtests/metrics"
	"github.com/taskoverflow-lab/taskoverflow/loadtests/report"
	"github.com/taskoverflow-lab/taskoverflow/loadtests/scenarios"
)

// listFlag collects a repeatable string flag.
type listFlag []string

func (l *listFlag) String() string     { return strings.Join(*l, ", ") }
func (l *listFlag) Set(v string) error { *l = append(*l, v); return nil }

// outputs are the files a run, a report or a merge may write.
type outputs struct {
	out, html  string
	thresholds listFlag
}

func (o *outputs) register(fs *flag.FlagSet) {
	fs.StringVar(&o.out, "out", "", "write the summary as JSON (mergeable, renders again with report) to `FILE`, or PUT it to an http(s) URL (an S3 presigned PUT URL)")
	fs.StringVar(&o.html, "html", "", "write a self-contained HTML report to `FILE`")
	fs.Var(&o.thresholds, "threshold", "pass/fail criterion such as 'checks>0.99' or 'http_req_duration{p95}<500ms' (repeatable)")
}

// finish prints the summary, writes the files asked for and returns the
// exit code the thresholds decide.
func (o *outputs) finish(s *metrics.Summary, stdout, stderr io.Writer) int {
	if err := report.Text(stdout, s); err != nil {
		fmt.Fprintf(stderr, "loadtest: print summary: %v\n", err)
		return exitFailure
	}
	if o.out != "" {
		if err := s.Save(context.Background(), o.out); err != nil {
			fmt.Fprintf(stderr, "loadtest: %v\n", err)
			return exitFailure
		}
	}
	if o.html != "" {
		if err := report.WriteHTMLFile(o.html, s); err != nil {
			fmt.Fprintf(stderr, "loadtest: %v\n", err)
			return exitFailure
		}
	}
	return loadtests.Verdict(s, "loadtest", stderr)
}

// runScenario implements "loadtest run SCENARIO": the run command every
// plan's own main gets from loadtests.Main, over the bundled scenarios.
func runScenario(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) int {
	var p scenarios.Params
	c := loadtests.Command{
		Prog:     "loadtest",
		Name:     "loadtest run",
		Synopsis: fmt.Sprintf("loadtest run SCENARIO [flags]\n\nscenarios: %s (see loadtest list)", strings.Join(scenarioNames(), ", ")),
		Flags: func(fs *flag.FlagSet) {
			fs.StringVar(&p.Variant, "variant", "", "scenario variant, such as planners-and-studiers' fixed (default) or practical")
			fs.IntVar(&p.VUs, "vus", 0, "VUs, for scenarios that take it")
			fs.DurationVar(&p.Duration, "duration", 0, "duration, for scenarios that take it")
			fs.StringVar(&p.Path, "path", "", "URL path, for the benchmark scenarios")
		},
		Plan: func(pos []string) (loadtests.Plan, error) {
			if len(pos) != 1 {
				return loadtests.Plan{}, fmt.Errorf("%w: want one scenario, got %d arguments", loadtests.ErrInvalid, len(pos))
			}
			b, ok := scenarios.Lookup(pos[0])
			if !ok {
				return loadtests.Plan{}, fmt.Errorf("%w: no scenario %q (have: %s)", loadtests.ErrInvalid, pos[0], strings.Join(scenarioNames(), ", "))
			}
			return b.Build(p)
		},
	}
	return c.Run(ctx, args, getenv, stdout, stderr)
}

func scenarioNames() []string {
	var names []string
	for _, b := range scenarios.All() {
		names = append(names, b.Name)
	}
	return names
}

// runList implements "loadtest list".
func runList(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("loadtest list", flag.ContinueOnError)
	fs.SetOutput(stderr)
	if err := fs.Parse(args); err != nil {
		return cli.FlagExit(err)
	}
	if fs.NArg() > 0 {
		fmt.Fprintln(stderr, "usage: loadtest list")
		return exitUsage
	}
	tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
	for _, b := range scenarios.All() {
		var extra []string
		if len(b.Variants) > 0 {
			extra = append(extra, "--variant "+strings.Join(b.Variants, "|"))
		}
		for _, t := range b.Takes {
			extra = append(extra, "--"+t)
		}
		fmt.Fprintf(tw, "%s\t%s\n", b.Name, b.Story)
		if len(extra) > 0 {
			fmt.Fprintf(tw, "\ttakes %s\n", strings.Join(extra, ", "))
		}
	}
	if err := tw.Flush(); err != nil {
		return exitFailure
	}
	return exitOK
}

// runReport implements "loadtest report SUMMARY.json".
func runReport(args []string, stdout, stderr io.Writer) int {
	fs := cli.NewFlagSet("loadtest report", "loadtest report SUMMARY.json [--html FILE] [--out FILE] [--threshold EXPR]...", stderr)
	var o outputs
	o.register(fs)
	pos, err := cli.ParseInterleaved(fs, args)
	if err != nil {
		return cli.FlagExit(err)
	}
	if len(pos) != 1 {
		fs.Usage()
		return exitUsage
	}
	s, err := metrics.ReadFile(pos[0])
	if err != nil {
		fmt.Fprintf(stderr, "loadtest report: %v\n", err)
		return exitUsage
	}
	if code := o.reevaluate(s, "report", stderr); code != exitOK {
		return code
	}
	return o.finish(s, stdout, stderr)
}

// reevaluate replaces a summary's threshold verdicts when thresholds were
// given on the command line.
func (o *outputs) reevaluate(s *metrics.Summary, cmd string, stderr io.Writer) int {
	if len(o.thresholds) == 0 {
		return exitOK
	}
	ts, err := metrics.ParseThresholds(o.thresholds)
	if err != nil {
		fmt.Fprintf(stderr, "loadtest %s: %v\n", cmd, err)
		return exitUsage
	}
	s.Thresholds, _ = metrics.EvaluateAll(s, ts)
	return exitOK
}

// runMerge implements "loadtest merge A.json B.json...".
func runMerge(args []string, stdout, stderr io.Writer) int {
	fs := cli.NewFlagSet("loadtest merge", "loadtest merge A.json B.json... (files or http(s) URLs) [--out FILE|URL] [--html FILE] [--threshold EXPR]...", stderr)
	var o outputs
	o.register(fs)
	pos, err := cli.ParseInterleaved(fs, args)
	if err != nil {
		return cli.FlagExit(err)
	}
	if len(pos) < 1 {
		fmt.Fprintln(stderr, "loadtest merge: want at least two summaries, or the shards of a run")
		fs.Usage()
		return exitUsage
	}
	var all []*metrics.Summary
	var missing []string
	var missingErr error
	shard := false
	for _, path := range pos {
		s, err := metrics.Load(context.Background(), path)
		if errors.Is(err, iofs.ErrNotExist) {
			missing = append(missing, metrics.Redact(path))
			missingErr = err
			continue
		}
		if err != nil {
			fmt.Fprintf(stderr, "loadtest merge: %v\n", err)
			return exitUsage
		}
		shard = shard || s.Shard != nil
		all = append(all, s)
	}
	switch {
	case len(missing) > 0 && shard:
		// A shard that failed wrote nothing: the run is incomplete.
		fmt.Fprintf(stderr, "loadtest merge: incomplete: no summary at %s; no verdict\n", strings.Join(missing, ", "))
		return exitIncomplete
	case len(pos) < 2 && !shard:
		fmt.Fprintln(stderr, "loadtest merge: want at least two summaries, or the shards of a run")
		fs.Usage()
		return exitUsage
	case len(missing) > 0:
		fmt.Fprintf(stderr, "loadtest merge: %v\n", missingErr)
		return exitUsage
	}
	names := make([]string, len(pos)) // a presigned URL's signature is not printed
	for i, p := range pos {
		names[i] = metrics.Redact(p)
	}
	code, isShards := mergeShards(all, names, &o, stderr)
	if code != exitOK {
		return code
	}
	if !isShards && len(all) < 2 {
		fmt.Fprintln(stderr, "loadtest merge: want at least two summaries, or the shards of a run")
		fs.Usage()
		return exitUsage
	}
	m, err := metrics.Merge(all...)
	if err != nil {
		fmt.Fprintf(stderr, "loadtest merge: %v\n", err)
		return exitUsage
	}
	if code := o.reevaluate(m, "merge", stderr); code != exitOK {
		return code
	}
	return o.finish(m, stdout, stderr)
}
