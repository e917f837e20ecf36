package loadtests

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"net/url"
	neturl "net/url"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/taskoverflow-lab/taskoverflow/internal/cli"
	"github.com/taskoverflow-lab/taskoverflow/loadtests/metrics"
	"github.com/taskoverflow-lab/taskoverflow/loadtests/output"
	"github.com/taskoverflow-lab/taskoverflow/loadtests/report"
)

// Exit codes of a run, as "loadtest run" and Main return them; 0 and 2
// are every command's (ok, usage error).
const (
	ExitFailure = 1
	// ExitUnreached: requests were made and none got an answer (a wrong
	// port, a server that is down); thresholds are beside the point.
	ExitUnreached = 3
	// ExitThreshold: a threshold was crossed, as k6's 99.
	ExitThreshold = 99
)

// Main is the whole of a plan's own main.go: it gives the plans every
// flag, output, threshold and exit code of "loadtest run", as
// testing.Main gives a test binary its flags.
//
//	func main() { loadtests.Main(myPlan) }
//
//	go run ./myplan --endpoint http://127.0.0.1:6400 --threshold 'http_req_duration{p95}<300ms'
//
// With several plans, the first argument names the one to run. The first
// SIGINT or SIGTERM stops the run gracefully (the summary still prints),
// a second one exits at once. Main does not return.
func Main(plans ...Plan) {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	context.AfterFunc(ctx, stop)
	prog := strings.TrimSuffix(filepath.Base(os.Args[0]), ".exe")
	code := PlansCommand(prog, plans...).Run(ctx, os.Args[1:], os.Getenv, os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// Command is "loadtest run" for a set of plans: flags, outputs,
// thresholds and exit codes. Main runs PlansCommand's over the process's
// arguments; the loadtest command runs one over its bundled scenarios.
type Command struct {
	// Prog names the program in messages ("loadtest"); Name names the
	// command in usage and errors ("loadtest run").
	Prog, Name string
	// Synopsis is the usage line, such as "loadtest run SCENARIO [flags]".
	Synopsis string
	// Flags, when set, registers flags of the caller's own before parsing.
	Flags func(fs *flag.FlagSet)
	// Plan returns the plan the positional arguments name, once the flags
	// are parsed. An error wrapping ErrInvalid is a usage error.
	Plan func(args []string) (Plan, error)
}

// PlansCommand returns the command that runs one of plans: with one plan
// it takes no argument, with several the first argument names one.
func PlansCommand(prog string, plans ...Plan) Command {
	var names []string
	for _, p := range plans {
		names = append(names, p.Name)
	}
	c := Command{Prog: prog, Name: prog, Synopsis: prog + " [flags]"}
	if len(plans) > 1 {
		c.Synopsis = fmt.Sprintf("%s PLAN [flags]\n\nplans: %s", prog, strings.Join(names, ", "))
	}
	c.Plan = func(args []string) (Plan, error) {
		switch {
		case len(plans) == 0:
			return Plan{}, fmt.Errorf("%w: no plans to run", ErrInvalid)
		case len(plans) == 1 && len(args) == 0:
			return plans[0], nil
		case len(args) != 1:
			return Plan{}, fmt.Errorf("%w: want one plan (%s), got %d arguments", ErrInvalid, strings.Join(names, ", "), len(args))
		}
		for _, p := range plans {
			if p.Name == args[0] {
				return p, nil
			}
		}
		return Plan{}, fmt.Errorf("%w: no plan %q (have: %s)", ErrInvalid, args[0], strings.Join(names, ", "))
	}
	return c
}

// optionalAddr is a flag given alone (--dashboard: its default address)
// or with an address (--dashboard=ADDR).
type optionalAddr struct{ def, addr string }

func (o *optionalAddr) String() string   { return o.addr }
func (o *optionalAddr) IsBoolFlag() bool { return true }
func (o *optionalAddr) Set(v string) error {
	switch v {
	case "true":
		v = o.def
	case "false":
		v = ""
	}
	o.addr = v
	return nil
}

// listFlag collects a repeatable string flag.
type listFlag []string

func (l *listFlag) String() string     { return strings.Join(*l, ", ") }
func (l *listFlag) Set(v string) error { *l = append(*l, v); return nil }

// Run parses args, runs the plan and returns the process exit code: 0,
// ExitThreshold when a threshold was crossed, ExitUnreached when no
// request got an answer, 2 for a usage error, ExitFailure otherwise.
func (c Command) Run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) int {
	fs := cli.NewFlagSet(c.Name, c.Synopsis, stderr)
	var (
		thresholds  listFlag
		endpoint    = fs.String("endpoint", "", "base `URL` of the API (default $ENDPOINT)")
		timeS       = fs.Float64("time-scale", 1, "compress every duration, stage and sleep by `F` (0.05 runs ten minutes in thirty seconds)")
		vusS        = fs.Float64("vus-scale", 1, "scale every VU count (and shared iterations and arrival rates with it) by `F`")
		timeout     = fs.Duration("timeout", DefaultRequestTimeout, "request timeout")
		noThr       = fs.Bool("no-thresholds", false, "drop the plan's own thresholds")
		quiet       = fs.Bool("quiet", false, "no progress line")
		out         = fs.String("out", "", "write the summary as JSON (mergeable, renders again with report) to `FILE`, or PUT it to an http(s) URL (an S3 presigned PUT URL, a GCS signed URL)")
		html        = fs.String("html", "", "write a self-contained HTML report to `FILE`: the dashboard's page with the whole run in it")
		serverURL   = fs.String("server-metrics", "", "with --dashboard or --html, scrape this Prometheus `URL` each second and draw the server's side (default: the endpoint's /metrics when it is this project's API; none turns it off)")
		jsonl       = fs.String("out-jsonl", "", "stream every request as one JSON line to `FILE`")
		metricsAddr = fs.String("metrics-addr", "", "serve the generator's own Prometheus metrics on `ADDR` (such as 127.0.0.1:9465) at /metrics")
	)
	dashboard := &optionalAddr{def: report.DefaultDashboardAddr}
	fs.Var(dashboard, "dashboard", "serve a live dashboard while the run goes, on "+report.DefaultDashboardAddr+" (k6's) or on `ADDR` given as --dashboard=ADDR")
	fs.Var(&thresholds, "threshold", "pass/fail criterion such as 'checks>0.99' or 'http_req_duration{p95}<500ms' (repeatable)")
	var cf clientFlags
	cf.register(fs)
	var segf segmentFlags
	segf.register(fs)
	if c.Flags != nil {
		c.Flags(fs)
	}
	pos, err := cli.ParseInterleaved(fs, args)
	if err != nil {
		return cli.FlagExit(err)
	}
	usage := func(format string, a ...any) int {
		fmt.Fprintf(stderr, c.Name+": "+format+"\n", a...)
		return cli.ExitUsage
	}
	// Options take zero for "not set"; on the command line it is a mistake
	// that would run the whole plan unscaled.
	for _, sc := range []struct {
		flag string
		v    float64
	}{{"--time-scale", *timeS}, {"--vus-scale", *vusS}} {
		if !(sc.v > 0) || math.IsInf(sc.v, 0) {
			return usage("%s %v: want a positive number, such as 0.1", sc.flag, sc.v)
		}
	}
	plan, err := c.Plan(pos)
	if err != nil {
		code := usage("%v", strings.TrimPrefix(err.Error(), ErrInvalid.Error()+": "))
		if strings.Contains(err.Error(), "want one") {
			fs.Usage()
		}
		return code
	}
	if *endpoint == "" {
		*endpoint = getenv("ENDPOINT")
	}
	if *endpoint == "" {
		return usage("no endpoint: pass --endpoint URL or set ENDPOINT (such as http://127.0.0.1:6400)")
	}
	if *noThr {
		plan.Thresholds = nil
	}
	plan.Thresholds = append(plan.Thresholds, thresholds...)
	opts := Options{Endpoint: *endpoint, TimeScale: *timeS, VUsScale: *vusS, RequestTimeout: *timeout}
	if err := cf.apply(&opts, getenv); err != nil {
		return usage("%v", err)
	}
	shards, err := segf.resolve(getenv, time.Now())
	if err != nil {
		return usage("%v", err)
	}
	opts.Segment = shards.part
	if err := Validate(plan, opts); err != nil {
		return usage("%v", err)
	}

	opts.Outputs = []Output{}
	if o := shards.output(plan.Thresholds); o != nil {
		opts.Outputs = append(opts.Outputs, o)
	}
	opts.Outputs = append(opts.Outputs,
		report.NewProgressOutput(stderr, cli.DrawsInPlace(stderr, getenv), *quiet),
		unreachedNotice{prog: c.Prog, w: stderr},
		report.TextOutput{W: stdout},
	)
	if *out != "" {
		opts.Outputs = append(opts.Outputs, report.JSONOutput{Path: *out})
	}
	if *jsonl != "" {
		opts.Outputs = append(opts.Outputs, output.NewJSONL(*jsonl))
	}
	if *metricsAddr != "" {
		prom, err := output.NewPrometheus(*metricsAddr)
		if err != nil {
			return usage("--metrics-addr %s: %v", *metricsAddr, err)
		}
		opts.Outputs = append(opts.Outputs, prom)
		fmt.Fprintf(stderr, "%s: metrics on http://%s/metrics\n", c.Prog, prom.Addr())
	}
	if dashboard.addr != "" || *html != "" {
		var dopts []report.DashboardOption
		if *html != "" {
			dopts = append(dopts, report.WithHTML(*html))
		}
		switch *serverURL {
		case "none":
		case "":
			// This project's API answers /metrics with its own series; any
			// other endpoint is scraped only when named.
			if m := report.ProbeServerMetrics(ctx, opts.Endpoint); m != nil {
				dopts = append(dopts, report.WithServerMetrics(m))
				fmt.Fprintf(stderr, "%s: drawing the server's side from %s\n", c.Prog, m.URL)
			}
		default:
			if u, err := url.Parse(*serverURL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
				return usage("--server-metrics %q: want an http(s) URL such as http://127.0.0.1:6400/metrics, or none", *serverURL)
			}
			dopts = append(dopts, report.WithServerMetrics(report.NewServerMetrics(*serverURL)))
		}
		dash, err := report.NewDashboard(dashboard.addr, dopts...)
		if err != nil {
			return usage("--dashboard %s: %v", dashboard.addr, err)
		}
		opts.Outputs = append(opts.Outputs, dash)
		if dash.Addr() != "" {
			fmt.Fprintf(stderr, "%s: live dashboard on http://%s/\n", c.Prog, dash.Addr())
		}
	}
	cf.say(opts, c.Prog, stderr)
	fmt.Fprintf(stderr, "%s: running %s against %s (time scale %g, VUs scale %g); Ctrl-C stops gracefully, twice at once\n",
		c.Prog, plan.Name, opts.Endpoint, *timeS, *vusS)
	if err := shards.wait(ctx, c.Prog, stderr); err != nil {
		fmt.Fprintf(stderr, "%s: stopped while waiting for --start-at\n", c.Prog)
		return ExitFailure
	}
	s, err := Run(ctx, plan, opts)
	if s == nil {
		fmt.Fprintf(stderr, "%s: %v\n", c.Name, err)
		if errors.Is(err, ErrInvalid) {
			return cli.ExitUsage
		}
		return ExitFailure
	}
	if err != nil {
		fmt.Fprintf(stderr, "%s: %v\n", c.Prog, err)
		return ExitFailure
	}
	if _, ok := Unreached(s); ok {
		return ExitUnreached
	}
	if shards.part != nil {
		shards.advisory(s, c.Prog, stderr)
		return cli.ExitOK
	}
	return Verdict(s, c.Prog, stderr)
}

// Verdict returns the exit code s's thresholds decide, ExitThreshold when
// one was crossed, and then names those crossed on stderr.
func Verdict(s *metrics.Summary, prog string, stderr io.Writer) int {
	var crossed []string
	for _, t := range s.Thresholds {
		if !t.OK {
			crossed = append(crossed, t.Expr)
		}
	}
	if len(crossed) > 0 {
		fmt.Fprintf(stderr, "%s: thresholds crossed: %s\n", prog, strings.Join(crossed, "; "))
		return ExitThreshold
	}
	return cli.ExitOK
}

// unreachedNotice says, before the summary, that no request reached the
// server: the summary that follows is all failures.
type unreachedNotice struct {
	prog string
	w    io.Writer
}

func (unreachedNotice) Start(RunInfo) error { return nil }
func (unreachedNotice) AddSamples([]Sample) {}
func (unreachedNotice) NoSamples() bool     { return true }
func (unreachedNotice) String() string      { return "unreached" }

func (n unreachedNotice) Stop(s *metrics.Summary) error {
	if msg, ok := Unreached(s); ok {
		fmt.Fprintf(n.w, "%s: %s\n", n.prog, msg)
	}
	return nil
}

// Unreached returns what to say when requests were made and none got an
// answer, whatever the status: the endpoint is wrong or the server is down.
func Unreached(s *metrics.Summary) (string, bool) {
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
