package report

import (
	"testing"
	"time"

	"github.com/taskoverflow-lab/taskoverflow/loadtests/metrics"
)

// BenchmarkDashboardAddSamples is the dashboard's share of each request:
// what its output goroutine does per sample (off the VUs' loop), in a
// batch as the run hands them over. Compared with a request's cost
// (BenchmarkRequests in loadtests) it bounds what the dashboard takes.
func BenchmarkDashboardAddSamples(b *testing.B) {
	d, err := NewDashboard("")
	if err != nil {
		b.Fatal(err)
	}
	batch := make([]metrics.Sample, 256)
	for i := range batch {
		batch[i].Name = "GET /api/v1/todos"
		batch[i].Duration = time.Duration(200+i) * time.Microsecond
		if i%50 == 0 {
			batch[i].Kind = "status 503"
		}
	}
	b.ReportAllocs()
	b.ResetTimer()
	for n := 0; n < b.N; n += len(batch) {
		d.AddSamples(batch)
		if n%(1<<16) == 0 {
			d.lastSecond()
		}
	}
}
