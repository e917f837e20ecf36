package trace

import (
	"bytes"
	"strings"
	"testing"
)

// Lines of three requests, out of order as several writers may leave them,
// with a line that is not JSON.
const traceLog = `{"time":"2026-11-22T09:00:00.010Z","level":"INFO","msg":"request finished","request_id":"r1","method":"GET","url":"/api/v1/me","status":200,"duration_ms":10.5}
{"time":"2026-11-22T09:00:00.000Z","level":"DEBUG","msg":"request started","request_id":"r1","method":"GET","url":"/api/v1/me"}
not json at all, r1
{"time":"2026-11-22T09:00:00.001Z","level":"DEBUG","msg":"request started","request_id":"r2","method":"GET","url":"/api/v1/todos"}
{"time":"2026-11-22T09:00:00.004Z","level":"DEBUG","msg":"redis","request_id":"r1","cmd":"GETEX","duration_ms":0.4}
{"time":"2026-11-22T09:00:00.009Z","level":"DEBUG","msg":"sql","request_id":"r1","sql":"SELECT 1","duration_ms":4,"rows":1}
{"time":"2026-11-22T09:00:00.005Z","level":"DEBUG","msg":"sql","request_id":"r11","sql":"SELECT 2","duration_ms":1}
`

func TestTraceSelectsAndOrders(t *testing.T) {
	lines, err := Read(strings.NewReader(traceLog), "", "r1")
	if err != nil {
		t.Fatal(err)
	}
	var kinds []string
	for _, l := range lines {
		kinds = append(kinds, l.Msg)
	}
	want := "request started,redis,sql,request finished"
	if got := strings.Join(kinds, ","); got != want {
		t.Fatalf("got lines %s, want %s (r1's, in time order; not r11's)", got, want)
	}
	var out bytes.Buffer
	if err := Write(&out, "r1", lines); err != nil {
		t.Fatal(err)
	}
	text := out.String()
	for _, want := range []string{
		"served in 10.500ms",
		"+0.000ms  debug http  request started GET /api/v1/me",
		"+4.000ms  debug redis redis GETEX 0.4ms (began +3.600ms)",
		"+9.000ms  debug sql   4ms (began +5.000ms)  SELECT 1  (rows 1)",
		"+10.000ms  info  http  request finished GET /api/v1/me -> 200 in 10.5ms",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("trace output lacks %q:\n%s", want, text)
		}
	}
}

func TestTraceUnknownID(t *testing.T) {
	lines, err := Read(strings.NewReader(traceLog), "", "nope")
	if err != nil {
		t.Fatal(err)
	}
	if err := Write(&bytes.Buffer{}, "nope", lines); err == nil || !strings.Contains(err.Error(), `"nope"`) {
		t.Errorf("got %v, want an error naming the id", err)
	}
}
