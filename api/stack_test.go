package api_test

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/taskoverflow-lab/taskoverflow/api"
	"github.com/taskoverflow-lab/taskoverflow/config"
	"github.com/taskoverflow-lab/taskoverflow/inmem"
	"github.com/taskoverflow-lab/taskoverflow/internal/backingtest"
	"github.com/taskoverflow-lab/taskoverflow/internal/childproc"
	"github.com/taskoverflow-lab/taskoverflow/logging"
	"github.com/taskoverflow-lab/taskoverflow/session"
	"github.com/taskoverflow-lab/taskoverflow/store"
)

func TestMain(m *testing.M) { os.Exit(backingtest.RunTests(m)) }

// The implementations keep the API's interfaces.
var (
	_ api.TodoStore           = (*store.DB)(nil)
	_ api.UserStore           = (*store.DB)(nil)
	_ api.SessionStore        = (*session.Store)(nil)
	_ api.TodoStore           = (*inmem.Store)(nil)
	_ api.IdempotentTodoStore = (*store.DB)(nil)
	_ api.LoginLimiter        = (*session.Store)(nil)
)

// syncBuffer collects log output written from many goroutines.
type syncBuffer = childproc.Output

// stack is the whole API on real Postgres and Redis, served by httptest.
type stack struct {
	*httptest.Server
	logs *syncBuffer
	reg  *prometheus.Registry
}

func newStack(t testing.TB) *stack {
	t.Helper()
	logs := &syncBuffer{}
	s := buildStack(t, logs, slog.LevelDebug)
	s.logs = logs
	return s
}

// buildStack builds the stack logging at level to w.
func buildStack(t testing.TB, w io.Writer, level slog.Level) *stack {
	t.Helper()
	env := backingtest.ForTest(t)
	cfg, err := config.Load(func(string) string { return "" })
	if err != nil {
		t.Fatal(err)
	}
	log := logging.New(w, "json", level, false)
	ctx := context.Background()
	db, err := store.Open(ctx, backingtest.FreshDatabase(t, env), "", storeOptions(cfg.DB), log)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(db.Close)
	if _, err := db.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	sessions, err := session.Open(env.RedisURL, sessionOptions(cfg.Redis), cfg.SessionTTL, log)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sessions.Close() })
	reg := prometheus.NewRegistry()
	reg.MustRegister(db.Collector(), sessions.Collector())
	srv := api.NewServer(api.Deps{
		Todos: db, Users: db, Sessions: sessions,
		Ready: map[string]api.Pinger{"postgres": db, "redis": sessions},
		Log:   log, Registry: reg,
	}, api.ServerOptions{Options: api.Options{
		MaxInflight: 64, RequestTimeout: 5 * time.Second, ReadyTimeout: time.Second,
		SessionTTL: time.Hour, BcryptCost: 4,
	}, MaxConns: 64})
	ts := httptest.NewServer(srv.Handler())
	t.Cleanup(ts.Close)
	return &stack{Server: ts, reg: reg}
}

// response is what a test looks at.
type response struct {
	status int
	header http.Header
	body   []byte
}

func (r response) json(t *testing.T) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(r.body, &m); err != nil {
		t.Fatalf("body %q is not a JSON object: %v", r.body, err)
	}
	return m
}

// do sends one request; requestID, when set, goes in X-Request-ID.
func do(t *testing.T, c *http.Client, method, url, body, requestID string) response {
	t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, url, rd)
	if err != nil {
		t.Fatal(err)
	}
	if requestID != "" {
		req.Header.Set("X-Request-ID", requestID)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return response{status: resp.StatusCode, header: resp.Header, body: b}
}

func newClient(t *testing.T) *http.Client {
	jar, err := cookiejar.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	return &http.Client{Jar: jar, Timeout: 10 * time.Second}
}

// storeOptions maps the DB_* defaults onto the store's options, as the server does.
func storeOptions(c config.DBPool) store.Options {
	return store.Options{
		MaxConns: c.MaxConns, MinConns: c.MinConns, MaxConnLifetime: c.MaxConnLifetime,
		MaxConnIdleTime: c.MaxConnIdleTime, HealthCheckPeriod: c.HealthCheckPeriod, SlowQuery: c.SlowQuery,
	}
}

// sessionOptions maps the REDIS_* defaults onto the session pool's options, as the server does.
func sessionOptions(c config.RedisPool) session.Options {
	return session.Options{MaxActive: c.MaxActive, Unlimited: c.Unlimited, MaxIdle: c.MaxIdle, IdleTimeout: c.IdleTimeout, Wait: c.Wait}
}
