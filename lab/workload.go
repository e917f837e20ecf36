package lab

import (
	"context"
	"fmt"
	"io"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/taskoverflow-lab/taskoverflow/internal/cli"
	"github.com/taskoverflow-lab/taskoverflow/loadtests"
	"github.com/taskoverflow-lab/taskoverflow/loadtests/conncheck"
	"github.com/taskoverflow-lab/taskoverflow/loadtests/metrics"
	"github.com/taskoverflow-lab/taskoverflow/loadtests/scenarios"
)

// Workload is the load of a run.
type Workload interface {
	// String describes the load in one line.
	String() string
	// run drives the instances at urls and returns what it measured.
	run(ctx context.Context, urls []string, progress io.Writer, label string) (outcome, error)
}

// outcome is what a workload measured.
type outcome struct {
	summary *metrics.Summary
	conn    *conncheck.Report
}

// PlanWorkload runs a bundled load plan (package scenarios) against each API
// instance side by side, and merges their summaries.
type PlanWorkload struct {
	// Name is the bundled plan, such as "website".
	Name   string
	Params scenarios.Params
	// TimeScale and VUsScale compress the plan (see loadtests.Options).
	TimeScale, VUsScale float64
	// RequestTimeout bounds each request; 0 means the engine's 60 s.
	RequestTimeout time.Duration
}

// String names the plan and the parameters it runs with.
func (p PlanWorkload) String() string {
	var parts []string
	if p.Params.Variant != "" {
		parts = append(parts, p.Params.Variant)
	}
	if p.Params.VUs > 0 {
		parts = append(parts, fmt.Sprintf("%d VUs", p.Params.VUs))
	}
	scaled := p.TimeScale != 0 && p.TimeScale != 1
	switch {
	case p.Params.Duration > 0 && scaled:
		// A plan's time compressed: say how long it lasts on the clock.
		parts = append(parts, fmt.Sprintf("%s of the plan played %s× faster, about %s", p.Params.Duration,
			cli.FormatNumber(1/p.TimeScale), cli.FormatDuration(time.Duration(float64(p.Params.Duration)*p.TimeScale))))
	case p.Params.Duration > 0:
		parts = append(parts, p.Params.Duration.String())
	case scaled:
		parts = append(parts, fmt.Sprintf("the plan's waits and stages %s× shorter", cli.FormatNumber(1/p.TimeScale)))
	}
	if p.Params.Path != "" {
		parts = append(parts, "GET "+p.Params.Path)
	}
	if p.VUsScale != 0 && p.VUsScale != 1 {
		parts = append(parts, fmt.Sprintf("%s%% of the plan's VUs", cli.FormatNumber(100*p.VUsScale)))
	}
	if p.RequestTimeout > 0 {
		parts = append(parts, "request timeout "+p.RequestTimeout.String())
	}
	s := "plan " + p.Name
	if len(parts) > 0 {
		s += " (" + strings.Join(parts, ", ") + ")"
	}
	return s
}

func (p PlanWorkload) run(ctx context.Context, urls []string, progress io.Writer, label string) (outcome, error) {
	b, ok := scenarios.Lookup(p.Name)
	if !ok {
		return outcome{}, fmt.Errorf("no bundled plan %q", p.Name)
	}
	summaries := make([]*metrics.Summary, len(urls))
	errs := make([]error, len(urls))
	var wg sync.WaitGroup
	for i, u := range urls {
		params := p.Params
		// Users one instance registers must not collide with another's.
		params.RunID = fmt.Sprintf("%s-%s-%d-%d", label, strconv.FormatInt(time.Now().UnixNano()&0xffffff, 36), time.Now().UnixMilli()%1000, i+1)
		plan, err := b.Build(params)
		if err != nil {
			return outcome{}, err
		}
		opts := loadtests.Options{
			Endpoint: u, TimeScale: p.TimeScale, VUsScale: p.VUsScale, RequestTimeout: p.RequestTimeout,
		}
		if i == 0 && progress != nil {
			opts.OnTick = tickPrinter(progress, label, len(urls))
		}
		wg.Go(func() { summaries[i], errs[i] = loadtests.Run(ctx, plan, opts) })
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return outcome{}, err
		}
	}
	if len(summaries) == 1 {
		return outcome{summary: summaries[0]}, nil
	}
	merged, err := metrics.Merge(summaries...)
	if err != nil {
		return outcome{}, err
	}
	return outcome{summary: merged}, nil
}

// tickPrinter prints a progress line every ten seconds of a run.
func tickPrinter(w io.Writer, label string, instances int) func(loadtests.Progress) {
	var last time.Duration
	return func(p loadtests.Progress) {
		if p.Done || p.Elapsed-last < 10*time.Second {
			return
		}
		last = p.Elapsed
		suffix := ""
		if instances > 1 {
			suffix = fmt.Sprintf(" (instance 1 of %d)", instances)
		}
		fmt.Fprintf(w, "  %s %5s  %d VUs  %d requests, %d failed%s\n",
			label, cli.FormatDuration(p.Elapsed), p.VUs, p.Requests, p.Failed, suffix)
	}
}

// ConnCheck runs the connection check against the first instance.
type ConnCheck struct {
	Connections int
	// HTTPPath turns on the application probe (see conncheck.Config).
	HTTPPath    string
	Sleep       time.Duration
	DialTimeout time.Duration
	Hold        time.Duration
}

// String says how many connections the check opens and how.
func (c ConnCheck) String() string {
	s := fmt.Sprintf("connection check, %d connections", c.Connections)
	if c.HTTPPath != "" {
		s += ", HTTP probe GET " + c.HTTPPath
	}
	if c.Hold > 0 {
		s += ", held " + c.Hold.String()
	}
	return s
}

func (c ConnCheck) run(ctx context.Context, urls []string, progress io.Writer, label string) (outcome, error) {
	u, err := url.Parse(urls[0])
	if err != nil {
		return outcome{}, err
	}
	port, err := strconv.Atoi(u.Port())
	if err != nil {
		return outcome{}, fmt.Errorf("API URL %s: %w", urls[0], err)
	}
	cfg := conncheck.Config{
		Host: u.Hostname(), Port: port, Connections: c.Connections, HTTPPath: c.HTTPPath,
		Sleep: c.Sleep, DialTimeout: c.DialTimeout, Hold: c.Hold,
	}
	if progress != nil {
		cfg.OnStats = func(s conncheck.Stats) {
			fmt.Fprintf(progress, "  %s  %s\n", label, s)
		}
	}
	rep, err := conncheck.Run(ctx, cfg)
	if err != nil {
		return outcome{}, err
	}
	return outcome{conn: &rep}, nil
}
