package scenarios_test

import (
	"io"

	"github.com/taskoverflow-lab/taskoverflow/loadtests/metrics"
	"github.com/taskoverflow-lab/taskoverflow/loadtests/report"
)

func reportText(w io.Writer, s *metrics.Summary) error { return report.Text(w, s) }
