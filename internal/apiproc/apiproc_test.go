package apiproc_test

import (
	"context"
	"encoding/json"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/taskoverflow-lab/taskoverflow/internal/apiproc"
	"github.com/taskoverflow-lab/taskoverflow/internal/backingtest"
)

func TestMain(m *testing.M) { os.Exit(backingtest.RunTests(m)) }

func TestStartServesAndStops(t *testing.T) {
	env := backingtest.ForTest(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	p, err := apiproc.Start(ctx, apiproc.Options{
		Env:    map[string]string{"DATABASE_URL": backingtest.FreshDatabase(t, env), "REDIS_URL": env.RedisURL},
		NoFile: 512,
	})
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.Get(p.URL + "/api/v1/health")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("health: got %s, want 200", resp.Status)
	}
	if err := p.Stop(ctx); err != nil {
		t.Fatalf("Stop: got %v, want a clean exit", err)
	}
	// The limit given reached the server: it logs it at start.
	var sawLimit bool
	for _, line := range strings.Split(string(p.Logs()), "\n") {
		var rec struct {
			Msg  string `json:"msg"`
			Soft uint64 `json:"soft"`
		}
		if json.Unmarshal([]byte(line), &rec) == nil && rec.Msg == "file descriptor limit" {
			sawLimit = rec.Soft == 512
		}
	}
	if !sawLimit {
		t.Errorf("the server did not log a file descriptor limit of 512:\n%s", p.Logs())
	}
}

func TestStartReportsAFailingServer(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	_, err := apiproc.Start(ctx, apiproc.Options{Env: map[string]string{"REDIS_MAX_ACTIVE": "0"}})
	if err == nil || !strings.Contains(err.Error(), "REDIS_MAX_ACTIVE") {
		t.Fatalf("got %v, want an error quoting the server's complaint about REDIS_MAX_ACTIVE", err)
	}
}
