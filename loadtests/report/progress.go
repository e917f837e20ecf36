package report

import (
	"fmt"
	"io"
	"strings"
	"sync"
	"time"

	"github.com/taskoverflow-lab/taskoverflow/loadtests/metrics"

	"github.com/taskoverflow-lab/taskoverflow/internal/cli"
)

// Progress returns a callback for loadtests.Options.OnTick that prints the
// live progress line each second: elapsed, VUs, iterations, requests per
// second, p95 and errors. On a terminal it redraws the line in place with a
// bar per scenario below it; elsewhere (a log, CI) it prints one line per
// second.
func Progress(w io.Writer, terminal bool) func(metrics.Progress) {
	var mu sync.Mutex
	drawn := 0
	stopping := false
	return func(p metrics.Progress) {
		mu.Lock()
		defer mu.Unlock()
		if p.Stopping && !p.Done {
			// Once stopping, the count down replaces the progress.
			io.WriteString(w, stoppingLine(p, &stopping)+"\n")
			drawn = 0
			return
		}
		lines := []string{progressLine(p)}
		if terminal || p.Done {
			for _, sc := range p.Scenarios {
				lines = append(lines, scenarioBar(sc, p.Scenarios))
			}
		}
		var b strings.Builder
		if terminal && drawn > 0 {
			fmt.Fprintf(&b, "\x1b[%dA", drawn)
		}
		for _, l := range lines {
			if terminal {
				b.WriteString("\r\x1b[K")
			}
			b.WriteString(l)
			b.WriteByte('\n')
		}
		drawn = len(lines)
		io.WriteString(w, b.String())
	}
}

// Stopping returns a callback for loadtests.Options.OnTick that prints only
// what a stopping run has left to wait for, for a run without progress line.
func Stopping(w io.Writer) func(metrics.Progress) {
	var mu sync.Mutex
	stopping := false
	return func(p metrics.Progress) {
		mu.Lock()
		defer mu.Unlock()
		if p.Stopping && !p.Done {
			io.WriteString(w, stoppingLine(p, &stopping)+"\n")
		}
	}
}

// stoppingLine says, the first time, how long the stop may wait and, then,
// how long is left. *said tells whether the first line was printed.
func stoppingLine(p metrics.Progress, said *bool) string {
	wait := p.StopLeft.Round(time.Second)
	if p.StopLeft < time.Second {
		wait = p.StopLeft.Round(time.Millisecond)
	}
	iters := "iterations"
	if p.VUs == 1 {
		iters = "iteration"
	}
	if !*said {
		*said = true
		return fmt.Sprintf("stopping: waiting up to %s for %d running %s (Ctrl-C again to quit now)", wait, p.VUs, iters)
	}
	return fmt.Sprintf("stopping: %s left for %d running %s (Ctrl-C again to quit now)", wait, p.VUs, iters)
}

func progressLine(p metrics.Progress) string {
	p95 := p.Last.Duration.Percentile(95)
	line := fmt.Sprintf("running (%s), %04d/%04d VUs, %d complete and %d interrupted iterations, %d req/s, p95=%s, %d errors",
		cli.FormatClock(p.Elapsed), p.VUs, p.VUsMax, p.Complete, p.Interrupted, p.Last.Requests, fmtDur(p95), p.Failed)
	if p.Generator.Saturated {
		line += ", ⚠ generator saturated"
	}
	return line
}

func scenarioBar(sc metrics.ScenarioProgress, all []metrics.ScenarioProgress) string {
	width := 0
	for _, s := range all {
		width = max(width, len(s.Name))
	}
	const barLen = 30
	filled := int(sc.Fraction * barLen)
	bar := strings.Repeat("=", filled)
	if filled < barLen {
		bar += ">" + strings.Repeat("-", barLen-filled-1)
	}
	return fmt.Sprintf("%-*s [%s] %3.0f%% %s", width, sc.Name, bar, sc.Fraction*100, sc.Detail)
}
