package report

import (
	"context"
	"fmt"
	"io"
	"os"

	"github.com/taskoverflow-lab/taskoverflow/loadtests/metrics"
)

// The reports as outputs of a run (loadtests.Output): each takes no
// samples, so they cost the VUs nothing; what they print comes from the
// live state each second and from the summary at the end.

// summaryOutput is the part the reports share.
type summaryOutput struct{}

func (summaryOutput) Start(metrics.RunInfo) error   { return nil }
func (summaryOutput) AddSamples([]metrics.Sample)   {}
func (summaryOutput) NoSamples() bool               { return true }
func (summaryOutput) Stop(s *metrics.Summary) error { return nil }

// ProgressOutput prints the live progress line (see Progress); quiet
// prints only what a stopping run waits for (see Stopping).
type ProgressOutput struct {
	summaryOutput
	print func(metrics.Progress)
}

// NewProgressOutput returns the progress line as an output on w.
func NewProgressOutput(w io.Writer, terminal, quiet bool) *ProgressOutput {
	if quiet {
		return &ProgressOutput{print: Stopping(w)}
	}
	return &ProgressOutput{print: Progress(w, terminal)}
}

// Progress prints p.
func (o *ProgressOutput) Progress(p metrics.Progress) { o.print(p) }

func (o *ProgressOutput) String() string { return "progress" }

// TextOutput prints k6's end-of-test summary (see Text) when the run stops.
type TextOutput struct {
	summaryOutput
	W io.Writer
}

// Stop prints the summary.
func (o TextOutput) Stop(s *metrics.Summary) error {
	if err := Text(o.W, s); err != nil {
		return fmt.Errorf("print summary: %w", err)
	}
	return nil
}

func (o TextOutput) String() string { return "summary" }

// JSONOutput writes summary.json (see metrics.Summary.Save) to Path, a
// file or an http(s) URL it PUTs the JSON to, when the run stops.
type JSONOutput struct {
	summaryOutput
	Path string
}

// Stop writes the summary.
func (o JSONOutput) Stop(s *metrics.Summary) error { return s.Save(context.Background(), o.Path) }

func (o JSONOutput) String() string { return "summary.json" }

// HTMLOutput writes the HTML report (see HTML) to Path when the run stops:
// the dashboard's page from the summary alone. A Dashboard with WithHTML
// writes the same page with each second's request names and the server's
// side too, as `loadtest run --html` does.
type HTMLOutput struct {
	summaryOutput
	Path string
}

// Stop writes the report.
func (o HTMLOutput) Stop(s *metrics.Summary) error { return WriteHTMLFile(o.Path, s) }

func (o HTMLOutput) String() string { return "html" }

// WriteHTMLFile writes the HTML report of s to path.
func WriteHTMLFile(path string, s *metrics.Summary) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if err := HTML(f, s); err != nil {
		f.Close()
		return fmt.Errorf("write %s: %w", path, err)
	}
	return f.Close()
}
