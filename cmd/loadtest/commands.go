package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	neturl "net/url"
	"os"
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
	fs.StringVar(&o.out, "out", "", "write the summary as JSON (mergeable, renders again with report) to `FILE`")
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
		if err := s.WriteFile(o.out); err != nil {
			fmt.Fprintf(stderr, "loadtest: %v\n", err)
			return exitFailure
		}
	}
	if o.html != "" {
		if err := writeHTML(o.html, s); err != nil {
			fmt.Fprintf(stderr, "loadtest: %v\n", err)
			return exitFailure
		}
	}
	var crossed []string
	for _, t := range s.Thresholds {
		if !t.OK {
			crossed = append(crossed, t.Expr)
		}
	}
	if len(crossed) > 0 {
		fmt.Fprintf(stderr, "loadtest: thresholds crossed: %s\n", strings.Join(crossed, "; "))
		return exitThreshold
	}
	return exitOK
}

func writeHTML(path string, s *metrics.Summary) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if err := report.HTML(f, s); err != nil {
		f.Close()
		return fmt.Errorf("write %s: %w", path, err)
	}
	return f.Close()
}

// runScenario implements "loadtest run SCENARIO".
func runScenario(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) int {
	fs := cli.NewFlagSet("loadtest run", fmt.Sprintf("loadtest run SCENARIO [flags]\n\nscenarios: %s (see loadtest list)", strings.Join(scenarioNames(), ", ")), stderr)
	var (
		o        outputs
		cf       clientFlags
		p        scenarios.Params
		endpoint = fs.String("endpoint", "", "base `URL` of the API (default $ENDPOINT)")
		timeS    = fs.Float64("time-scale", 1, "compress every duration, stage and sleep by `F` (0.05 runs ten minutes in thirty seconds)")
		vusS     = fs.Float64("vus-scale", 1, "scale every VU count (and shared iterations and arrival rates with it) by `F`")
		timeout  = fs.Duration("timeout", loadtests.DefaultRequestTimeout, "request timeout")
		noThr    = fs.Bool("no-thresholds", false, "drop the scenario's own thresholds")
		quiet    = fs.Bool("quiet", false, "no progress line")
	)
	o.register(fs)
	cf.register(fs)
	fs.StringVar(&p.Variant, "variant", "", "scenario variant, such as planners-and-studiers' fixed (default) or practical")
	fs.IntVar(&p.VUs, "vus", 0, "VUs, for scenarios that take it")
	fs.DurationVar(&p.Duration, "duration", 0, "duration, for scenarios that take it")
	fs.StringVar(&p.Path, "path", "", "URL path, for the benchmark scenarios")
	pos, err := cli.ParseInterleaved(fs, args)
	if err != nil {
		return cli.FlagExit(err)
	}
	if len(pos) != 1 {
		fmt.Fprintf(stderr, "loadtest run: want one scenario, got %d arguments\n", len(pos))
		fs.Usage()
		return exitUsage
	}
	// Options take zero for "not set"; on the command line it is a mistake
	// that would run the whole plan unscaled.
	for _, sc := range []struct {
		flag string
		v    float64
	}{{"--time-scale", *timeS}, {"--vus-scale", *vusS}} {
		if !(sc.v > 0) || math.IsInf(sc.v, 0) {
			fmt.Fprintf(stderr, "loadtest run: %s %v: want a positive number, such as 0.1\n", sc.flag, sc.v)
			return exitUsage
		}
	}
	b, ok := scenarios.Lookup(pos[0])
	if !ok {
		fmt.Fprintf(stderr, "loadtest run: no scenario %q (have: %s)\n", pos[0], strings.Join(scenarioNames(), ", "))
		return exitUsage
	}
	if *endpoint == "" {
		*endpoint = getenv("ENDPOINT")
	}
	if *endpoint == "" {
		fmt.Fprintln(stderr, "loadtest run: no endpoint: pass --endpoint URL or set ENDPOINT (such as http://127.0.0.1:6400)")
		return exitUsage
	}
	plan, err := b.Build(p)
	if err != nil {
		fmt.Fprintf(stderr, "loadtest run: %v\n", err)
		return exitUsage
	}
	if *noThr {
		plan.Thresholds = nil
	}
	plan.Thresholds = append(plan.Thresholds, o.thresholds...)
	opts := loadtests.Options{Endpoint: *endpoint, TimeScale: *timeS, VUsScale: *vusS, RequestTimeout: *timeout}
	if err := cf.apply(&opts, getenv); err != nil {
		fmt.Fprintf(stderr, "loadtest run: %v\n", err)
		return exitUsage
	}
	if err := loadtests.Validate(plan, opts); err != nil {
		fmt.Fprintf(stderr, "loadtest run: %v\n", err)
		return exitUsage
	}
	if *quiet {
		opts.OnTick = report.Stopping(stderr)
	} else {
		opts.OnTick = report.Progress(stderr, cli.DrawsInPlace(stderr, getenv))
	}
	cf.say(opts, stderr)
	fmt.Fprintf(stderr, "loadtest: running %s against %s (time scale %g, VUs scale %g); Ctrl-C stops gracefully, twice at once\n",
		plan.Name, opts.Endpoint, *timeS, *vusS)
	s, err := loadtests.Run(ctx, plan, opts)
	if err != nil {
		fmt.Fprintf(stderr, "loadtest run: %v\n", err)
		if errors.Is(err, loadtests.ErrInvalid) {
			return exitUsage
		}
		return exitFailure
	}
	if msg, ok := unreached(s); ok {
		// Said first: the summary that follows is all failures.
		fmt.Fprintf(stderr, "loadtest: %s\n", msg)
		o.finish(s, stdout, stderr)
		return exitUnreached
	}
	return o.finish(s, stdout, stderr)
}

// unreached returns what to say when requests were made and none got an
// answer, whatever the status: the endpoint is wrong or the server is down.
func unreached(s *metrics.Summary) (string, bool) {
	total := s.Total()
	if total.Count == 0 || total.Answered() > 0 {
		return "", false
	}
	why, url := "no answer", ""
	for _, e := range s.Errors { // most frequent first
		if !strings.HasPrefix(e.Kind, "status ") && e.Kind != "iteration" && e.Kind != "teardown" {
			why, url = e.Message, e.URL
			break
		}
	}
	host := url
	if u, err := neturl.Parse(url); err == nil && u.Host != "" {
		host = u.Scheme + "://" + u.Host
	}
	if strings.HasPrefix(why, "cannot resolve") || why == "connection refused" {
		return fmt.Sprintf("no request reached %s: %s (%d requests); is the server running, and is that its address and port?", host, why, total.Count), true
	}
	return fmt.Sprintf("no request got an answer from %s: %s (%d requests)", host, why, total.Count), true
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
	fs := cli.NewFlagSet("loadtest merge", "loadtest merge A.json B.json... [--out FILE] [--html FILE] [--threshold EXPR]...", stderr)
	var o outputs
	o.register(fs)
	pos, err := cli.ParseInterleaved(fs, args)
	if err != nil {
		return cli.FlagExit(err)
	}
	if len(pos) < 2 {
		fmt.Fprintln(stderr, "loadtest merge: want at least two summaries")
		fs.Usage()
		return exitUsage
	}
	var all []*metrics.Summary
	for _, path := range pos {
		s, err := metrics.ReadFile(path)
		if err != nil {
			fmt.Fprintf(stderr, "loadtest merge: %v\n", err)
			return exitUsage
		}
		all = append(all, s)
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
