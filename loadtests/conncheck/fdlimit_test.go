package conncheck_test

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/taskoverflow-lab/taskoverflow/loadtests/conncheck"
)

// Where the platform has no descriptor limit (Windows), the connections fit
// and the report says, in its text and its JSON, that no limit was applied.
func TestReportSaysFDLimitNotApplied(t *testing.T) {
	r := conncheck.Report{Target: "127.0.0.1:6400", FDLimit: conncheck.FDLimit{Need: 1 << 20, NotApplied: "this platform has no RLIMIT_NOFILE"}}
	if !r.FDLimit.Fits() {
		t.Error("Fits: got false for a platform without the limit, want true")
	}
	if got, want := r.Text(), "File descriptor limit not applied: this platform has no RLIMIT_NOFILE\n"; !strings.Contains(got, want) {
		t.Errorf("text:\n%s\nwant a line %q", got, want)
	}
	b, err := json.Marshal(r)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(b), `"not_applied":"this platform has no RLIMIT_NOFILE"`) {
		t.Errorf("JSON %s does not hold not_applied", b)
	}

	// Where there is a limit, the text has no such line and a shortfall does not fit.
	r.FDLimit = conncheck.FDLimit{Soft: 1024, Hard: 1024, Need: 2000}
	if r.FDLimit.Fits() || strings.Contains(r.Text(), "not applied") {
		t.Errorf("a real limit: got Fits %v, text %q", r.FDLimit.Fits(), r.Text())
	}
}
