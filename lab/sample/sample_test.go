package sample

import (
	"encoding/json"
	"os"
	"strings"
	"testing"
	"time"
)

const metricsText = `# HELP http_requests_total HTTP requests finished.
# TYPE http_requests_total counter
http_requests_total{method="GET",route="/api/v1/todos",status="200"} 90
http_requests_total{method="GET",route="/api/v1/todos",status="503"} 7
http_requests_total{method="POST",route="/api/v1/todos",status="500"} 3
# HELP pgxpool_acquired_conns Postgres connections in use.
# TYPE pgxpool_acquired_conns gauge
pgxpool_acquired_conns 2
# HELP http_request_duration_seconds latency
# TYPE http_request_duration_seconds histogram
http_request_duration_seconds_bucket{method="GET",route="/x",le="0.1"} 4
http_request_duration_seconds_bucket{method="GET",route="/x",le="+Inf"} 5
http_request_duration_seconds_sum{method="GET",route="/x"} 0.7
http_request_duration_seconds_count{method="GET",route="/x"} 5
`

func TestParseMetrics(t *testing.T) {
	got, err := ParseMetrics(strings.NewReader(metricsText))
	if err != nil {
		t.Fatal(err)
	}
	for name, want := range map[string]float64{
		"http_requests_total":           100, // summed over label sets
		SeriesHTTP5xx:                   10,  // 503 and 500
		"pgxpool_acquired_conns":        2,
		"http_request_duration_seconds": 5, // a histogram gives its count
	} {
		if got[name] != want {
			t.Errorf("%s: got %v, want %v", name, got[name], want)
		}
	}
}

func TestParseMetricsRejectsOtherText(t *testing.T) {
	if _, err := ParseMetrics(strings.NewReader("<html>not metrics</html>\n")); err == nil {
		t.Fatal("got no error for HTML")
	}
}

func TestParseRedisInfo(t *testing.T) {
	info := "# Clients\r\nconnected_clients:17\r\nblocked_clients:0\r\n\r\n# Stats\r\ntotal_connections_received:4321\r\n" +
		"total_commands_processed:99\r\nrejected_connections:2\r\n"
	got := ParseRedisInfo(info)
	want := map[string]float64{SeriesRedisClients: 17, SeriesRedisConnections: 4321, SeriesRedisCommands: 99, SeriesRedisRejected: 2}
	if len(got) != len(want) {
		t.Errorf("got %d series %v, want %d", len(got), got, len(want))
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s: got %v, want %v", k, got[k], v)
		}
	}
}

func TestReadProcOfThisProcess(t *testing.T) {
	f, err := os.Open(os.DevNull) // at least one descriptor besides stdio
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	st, err := readProc(os.Getpid())
	if err != nil {
		t.Fatal(err)
	}
	if st.RSSBytes <= 0 || st.Threads < 1 || st.FDs < 4 || st.CPUSeconds < 0 {
		t.Errorf("got %+v, want a positive RSS, threads and at least 4 fds", st)
	}
}

func TestSampleJSONRoundTrip(t *testing.T) {
	in := Sample{T: 1500 * time.Millisecond, Values: map[string]float64{SeriesFDs: 12, "pgxpool_idle_conns": 3}}
	b, err := json.Marshal(in)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(b), `"t":1.5`) {
		t.Errorf("got %s, want a flat object with t in seconds", b)
	}
	var out Sample
	if err := json.Unmarshal(b, &out); err != nil {
		t.Fatal(err)
	}
	if out.T != in.T || len(out.Values) != 2 || out.Values[SeriesFDs] != 12 {
		t.Errorf("got %+v, want %+v", out, in)
	}
}
