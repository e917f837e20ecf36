package output_test

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"github.com/taskoverflow-lab/taskoverflow/loadtests"
	"github.com/taskoverflow-lab/taskoverflow/loadtests/output"
)

// server answers 200 on / and 404 elsewhere.
func server(t *testing.T) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/" {
			http.NotFound(w, r)
			return
		}
		w.Write([]byte("ok"))
	}))
	t.Cleanup(srv.Close)
	return srv
}

func TestJSONLParsesBack(t *testing.T) {
	srv := server(t)
	path := filepath.Join(t.TempDir(), "samples.jsonl")
	plan := loadtests.Plan{Name: "jsonl", Scenarios: []loadtests.Scenario{{
		Name:     "pair",
		Executor: loadtests.PerVUIterations{VUs: 2, Iterations: 5},
		User: loadtests.Func("pair", func(vu *loadtests.VU) error {
			vu.Get("/", loadtests.Name("home"))
			vu.Get("/missing", loadtests.Name("missing"))
			return nil
		}),
	}}}
	s, err := loadtests.Run(context.Background(), plan, loadtests.Options{
		Endpoint: srv.URL, Outputs: []loadtests.Output{output.NewJSONL(path)},
	})
	if err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	count := map[string]int{}
	ids := map[string]bool{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		var l output.JSONLine
		dec := json.NewDecoder(strings.NewReader(sc.Text()))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&l); err != nil {
			t.Fatalf("line %q: %v", sc.Text(), err)
		}
		count[l.Name]++
		ids[l.RequestID] = true
		switch {
		case l.Scenario != "pair" || l.VU < 1 || l.Method != "GET" || l.Time.IsZero() || l.Duration <= 0:
			t.Errorf("line %q: want scenario pair, a VU, GET, a time and a duration", sc.Text())
		case l.Name == "home" && (l.Status != 200 || l.Failure != "" || l.URL != srv.URL+"/"):
			t.Errorf("home: got %q, want a 200 on %s/", sc.Text(), srv.URL)
		case l.Name == "missing" && (l.Status != 404 || l.Failure != "status 404"):
			t.Errorf("missing: got %q, want a 404 failure", sc.Text())
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	if count["home"] != 10 || count["missing"] != 10 || len(ids) != 20 {
		t.Errorf("lines: got %v with %d request ids, want 10 of each name, 20 ids", count, len(ids))
	}
	if got := s.Total().Count; got != 20 {
		t.Errorf("summary: %d requests, want 20", got)
	}
}

func TestJSONLUnwritablePathFailsAtStart(t *testing.T) {
	srv := server(t)
	plan := loadtests.Plan{Name: "x", Scenarios: []loadtests.Scenario{{
		Name: "x", Executor: loadtests.SharedIterations{VUs: 1, Iterations: 1},
		User: loadtests.Func("x", func(vu *loadtests.VU) error { vu.Get("/"); return nil }),
	}}}
	_, err := loadtests.Run(context.Background(), plan, loadtests.Options{
		Endpoint: srv.URL, Outputs: []loadtests.Output{output.NewJSONL(filepath.Join(t.TempDir(), "no", "such", "dir.jsonl"))},
	})
	if err == nil || !strings.Contains(err.Error(), "start output jsonl") {
		t.Errorf("got %v, want an error starting the jsonl output", err)
	}
}

// scrape reads the metrics served at addr. It runs on a VU: it returns
// its error rather than failing the test.
func scrape(addr string) (map[string]*dto.MetricFamily, error) {
	resp, err := http.Get("http://" + addr + "/metrics")
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, err
	}
	parser := expfmt.NewTextParser(model.UTF8Validation)
	return parser.TextToMetricFamilies(strings.NewReader(string(body)))
}

func TestPrometheusScrapedDuringRun(t *testing.T) {
	srv := server(t)
	prom, err := output.NewPrometheus("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	// The plan scrapes the generator itself, in the middle of the run:
	// once 20 requests were counted and a second ticked (VUs set), it
	// keeps what it saw and the run ends.
	var seen map[string]*dto.MetricFamily
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	plan := loadtests.Plan{Name: "scraped", Scenarios: []loadtests.Scenario{{
		Name:     "get",
		Executor: loadtests.ConstantVUs{VUs: 2, Duration: time.Minute},
		User: loadtests.Func("get", func(vu *loadtests.VU) error {
			vu.Get("/", loadtests.Name("home"))
			vu.Get("/missing", loadtests.Name("missing"))
			if vu.ID != 1 || vu.Iteration%10 != 9 {
				return nil
			}
			fams, err := scrape(prom.Addr())
			if err != nil {
				return err
			}
			if requestsOf(fams, "home") >= 20 && gauge(fams, "loadtest_vus") == 2 {
				seen = fams
				cancel()
				return nil
			}
			return vu.Sleep(50 * time.Millisecond)
		}),
	}}}
	s, err := loadtests.Run(ctx, plan, loadtests.Options{Endpoint: srv.URL, Outputs: []loadtests.Output{prom}})
	if err != nil {
		t.Fatal(err)
	}
	if seen == nil {
		t.Fatalf("the run ended before a scrape showed 20 requests and 2 VUs (errors: %+v)", s.Errors)
	}
	fail := seen["loadtest_request_failures_total"]
	if fail == nil || labelled(fail, "name", "missing", "kind", "status 404") == 0 {
		t.Errorf("failures: got %v, want 404s counted for missing", fail)
	}
	h := seen["loadtest_request_duration_seconds"]
	if h == nil || h.GetType().String() != "HISTOGRAM" {
		t.Fatalf("duration: got %v, want a histogram", h)
	}
	for _, m := range h.Metric {
		if m.GetHistogram().GetSampleCount() == 0 {
			t.Errorf("duration histogram %v has no samples", m.Label)
		}
	}
	if _, err := http.Get("http://" + prom.Addr() + "/metrics"); err == nil {
		t.Error("metrics still served after the run stopped")
	}
}

func requestsOf(fams map[string]*dto.MetricFamily, name string) float64 {
	f := fams["loadtest_requests_total"]
	if f == nil {
		return 0
	}
	return labelled(f, "name", name)
}

func labelled(f *dto.MetricFamily, kv ...string) float64 {
	var sum float64
metric:
	for _, m := range f.Metric {
		for i := 0; i < len(kv); i += 2 {
			found := false
			for _, l := range m.Label {
				if l.GetName() == kv[i] && l.GetValue() == kv[i+1] {
					found = true
				}
			}
			if !found {
				continue metric
			}
		}
		sum += m.GetCounter().GetValue()
	}
	return sum
}

func gauge(fams map[string]*dto.MetricFamily, name string) float64 {
	f := fams[name]
	if f == nil || len(f.Metric) == 0 {
		return -1
	}
	return f.Metric[0].GetGauge().GetValue()
}
