package report

import (
	"fmt"
	"io"
	"strings"
	"sync"

	"github.com/taskoverflow-lab/taskoverflow/internal/cli"
	"github.com/taskoverflow-lab/taskoverflow/loadtests"
)

// Progress returns a callback for loadtests.Options.OnTick that prints the
// live progress line each second: elapsed, VUs, iterations, requests per
// second, p95 and errors. On a terminal it redraws the line in place with a
// bar per scenario below it; elsewhere (a log, CI) it prints one line per
// second.
func Progress(w io.Writer, terminal bool) func(loadtests.Progress) {
	var mu sync.Mutex
	drawn := 0
	return func(p loadtests.Progress) {
		mu.Lock()
		defer mu.Unlock()
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

func progressLine(p loadtests.Progress) string {
	p95 := p.Last.Duration.Percentile(95)
	return fmt.Sprintf("running (%s), %04d/%04d VUs, %d complete and %d interrupted iterations, %d req/s, p95=%s, %d errors",
		cli.FormatClock(p.Elapsed), p.VUs, p.VUsMax, p.Complete, p.Interrupted, p.Last.Requests, fmtDur(p95), p.Failed)
}

func scenarioBar(sc loadtests.ScenarioProgress, all []loadtests.ScenarioProgress) string {
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
