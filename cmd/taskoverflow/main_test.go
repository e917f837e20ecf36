package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"os"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/taskoverflow-lab/taskoverflow/config"
	"github.com/taskoverflow-lab/taskoverflow/internal/apiproc"
	"github.com/taskoverflow-lab/taskoverflow/internal/backing"
	"github.com/taskoverflow-lab/taskoverflow/internal/backingtest"
)

func TestMain(m *testing.M) { os.Exit(backingtest.RunTests(m)) }

func TestRunUsageAndConfigErrors(t *testing.T) {
	tests := []struct {
		name  string
		args  []string
		env   map[string]string
		usage bool   // exit 2
		want  string // in the error
	}{
		{"unknown command", []string{"fly"}, nil, true, `unknown command "fly"`},
		{"unknown flag", []string{"serve", "-fast"}, nil, true, "flag provided but not defined: -fast"},
		{"migrate with args", []string{"migrate", "now"}, nil, true, "migrate takes no arguments"},
		{"zero redis pool", []string{"serve"}, map[string]string{"REDIS_MAX_ACTIVE": "0"}, false, "REDIS_MAX_ACTIVE=\"0\": must be at least 1"},
		{"bad url", []string{"migrate"}, map[string]string{"DATABASE_URL": "postgres://u:secret@[::1"}, false, "DATABASE_URL: cannot parse"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var out bytes.Buffer
			err := run(context.Background(), tt.args, func(k string) string { return tt.env[k] }, &out, &out)
			var u usageError
			if err == nil || !strings.Contains(err.Error(), tt.want) || errors.As(err, &u) != tt.usage {
				t.Fatalf("got %v (usage %v), want an error containing %q (usage %v)", err, errors.As(err, &u), tt.want, tt.usage)
			}
			if strings.Contains(err.Error()+out.String(), "secret") {
				t.Errorf("the password leaked: %v %s", err, out.String())
			}
		})
	}
}

// The README's configuration table is the one `taskoverflow config` prints.
func TestReadmeConfigTableMatchesCode(t *testing.T) {
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	var table bytes.Buffer
	printConfig(&table)
	if !bytes.Contains(readme, table.Bytes()) {
		t.Errorf("README.md does not hold the configuration table; paste the output of `go run ./cmd/taskoverflow config`:\n%s", table.String())
	}
	for _, name := range config.Names() {
		if !bytes.Contains(readme, []byte("`"+name+"`")) {
			t.Errorf("README.md does not document %s", name)
		}
	}
}

// startAPI starts the server binary on env's services.
func startAPI(t *testing.T, env *backing.Env, extra map[string]string) *apiproc.Process {
	t.Helper()
	vars := map[string]string{"DATABASE_URL": env.DatabaseURL, "REDIS_URL": env.RedisURL, "BCRYPT_COST": "4", "REQUEST_TIMEOUT": "2s"}
	for k, v := range extra {
		vars[k] = v
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	p, err := apiproc.Start(ctx, apiproc.Options{Env: vars})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(p.Kill)
	return p
}

// ownServices starts a Postgres and a Redis that this test alone may stop.
func ownServices(t *testing.T) *backing.Env {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	env, err := backing.Start(ctx, backing.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { env.Close() })
	return env
}

type reply struct {
	status int
	body   map[string]any
	raw    string
}

func call(t *testing.T, c *http.Client, method, url, body string) reply {
	t.Helper()
	req, _ := http.NewRequest(method, url, strings.NewReader(body))
	resp, err := c.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, url, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	r := reply{status: resp.StatusCode, raw: string(b)}
	json.Unmarshal(b, &r.body)
	return r
}

// A SIGTERM while clients create todos loses no todo that got a 201: the
// listener closes, requests in flight finish, and the process exits cleanly.
// Each todo carries an Idempotency-Key: the one a client could not finish is
// retried on the next server, and every todo exists exactly once.
func TestSIGTERMLosesNoAcknowledgedTodo(t *testing.T) {
	env := backingtest.ForTest(t)
	env = &backing.Env{DatabaseURL: backingtest.FreshDatabase(t, env), RedisURL: env.RedisURL}
	p := startAPI(t, env, nil)

	var mu sync.Mutex
	var acked []int64
	pending := map[string]bool{} // keys whose answer a client did not get
	var wg sync.WaitGroup
	stop := make(chan struct{})
	for w := 0; w < 8; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			c := &http.Client{Timeout: 5 * time.Second}
			for i := 0; i < 5000; i++ {
				select {
				case <-stop:
					return
				default:
				}
				key := fmt.Sprintf("w%d-%d", w, i)
				status, _, raw := keyed(c, p.URL, key, fmt.Sprintf(`{"title":%q}`, key))
				mu.Lock()
				if status != http.StatusCreated {
					pending[key] = true // refused once the listener closed, or cut off
					mu.Unlock()
					return
				}
				var todo struct{ ID int64 }
				json.Unmarshal(raw, &todo)
				acked = append(acked, todo.ID)
				mu.Unlock()
			}
		}(w)
	}
	time.Sleep(500 * time.Millisecond)
	if err := p.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	select {
	case <-p.Done():
	case <-ctx.Done():
		t.Fatal("the server did not exit within 30 s of SIGTERM")
	}
	close(stop)
	wg.Wait()
	if err := p.Err(); err != nil {
		t.Errorf("exit: got %v, want a clean exit", err)
	}
	if !strings.Contains(string(p.Logs()), `"msg":"stopped"`) {
		t.Errorf("the server did not log its orderly stop")
	}
	if len(acked) < 10 {
		t.Fatalf("only %d todos were acknowledged before SIGTERM; the test needs load to mean anything", len(acked))
	}

	// The next server finishes what the clients could not.
	next := startAPI(t, env, nil)
	c := &http.Client{Timeout: 5 * time.Second}
	for key := range pending {
		if id, others := createWithRetries(c, func() string { return next.URL }, key, fmt.Sprintf(`{"title":%q}`, key), 10); id == 0 {
			t.Errorf("retry of %s on the next server: got %v, want 201", key, others)
		}
	}

	conn, err := pgx.Connect(ctx, env.DatabaseURL)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	rows, _ := conn.Query(ctx, "SELECT id FROM todos")
	stored, err := pgx.CollectRows(rows, pgx.RowTo[int64])
	if err != nil {
		t.Fatal(err)
	}
	have := map[int64]bool{}
	for _, id := range stored {
		have[id] = true
	}
	var lost []int64
	for _, id := range acked {
		if !have[id] {
			lost = append(lost, id)
		}
	}
	if len(lost) > 0 {
		t.Errorf("%d of %d acknowledged todos are gone: %v", len(lost), len(acked), lost)
	}
	for title, n := range titles(t, env.DatabaseURL) {
		if n != 1 {
			t.Errorf("todo %s: %d rows, want exactly 1", title, n)
		}
	}
	if want := len(acked) + len(pending); len(stored) != want {
		t.Errorf("todos stored: got %d, want %d (acknowledged before SIGTERM plus retried after)", len(stored), want)
	}
	t.Logf("%d todos acknowledged before and during shutdown, %d retried on the next server, each stored once", len(acked), len(pending))
}

// Postgres stopped mid-run: todo routes answer 503 JSON, /ready 503 naming
// postgres, /health stays 200; when Postgres returns the service recovers by
// itself, with the data.
func TestPostgresOutageAndRecovery(t *testing.T) {
	env := ownServices(t)
	p := startAPI(t, env, nil)
	c := &http.Client{Timeout: 10 * time.Second}
	created := call(t, c, "POST", p.URL+"/api/v1/todos", `{"title":"survives the outage"}`)
	if created.status != 201 {
		t.Fatalf("create: got %d %s", created.status, created.raw)
	}

	if err := env.Postgres.Stop(); err != nil {
		t.Fatal(err)
	}
	for _, path := range []string{"/api/v1/todos", "/api/v1/todos/1"} {
		r := call(t, c, "GET", p.URL+path, "")
		if r.status != 503 || r.body["error"] != "the database is unavailable; try again" || r.body["request_id"] == "" {
			t.Errorf("GET %s during the outage: got %d %s, want 503 JSON naming the database", path, r.status, r.raw)
		}
	}
	r := call(t, c, "GET", p.URL+"/api/v1/ready", "")
	if r.status != 503 || r.body["postgres"] == "ok" || r.body["redis"] != "ok" {
		t.Errorf("ready during the outage: got %d %s, want 503 with postgres failing, redis ok", r.status, r.raw)
	}
	if r := call(t, c, "GET", p.URL+"/api/v1/health", ""); r.status != 200 {
		t.Errorf("health during the outage: got %d, want 200 (liveness does not depend on the database)", r.status)
	}

	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if err := env.Postgres.Start(ctx); err != nil {
		t.Fatal(err)
	}
	var last reply
	for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); time.Sleep(200 * time.Millisecond) {
		if last = call(t, c, "GET", fmt.Sprintf("%s/api/v1/todos/%v", p.URL, created.body["id"]), ""); last.status == 200 {
			break
		}
	}
	if last.status != 200 || last.body["title"] != "survives the outage" {
		t.Fatalf("after Postgres returned: got %d %s, want the todo back", last.status, last.raw)
	}
	if r := call(t, c, "GET", p.URL+"/api/v1/ready", ""); r.status != 200 {
		t.Errorf("ready after recovery: got %d %s", r.status, r.raw)
	}
}

// Redis stopped: session routes answer 503, todo routes keep working, also
// for a client that sends its session cookie.
func TestRedisOutageSparesTodos(t *testing.T) {
	env := ownServices(t)
	p := startAPI(t, env, nil)
	jar, _ := cookiejar.New(nil)
	c := &http.Client{Timeout: 10 * time.Second, Jar: jar}
	call(t, c, "POST", p.URL+"/api/v1/users", `{"username":"studier","password":"correct horse"}`)
	if r := call(t, c, "POST", p.URL+"/api/v1/login", `{"username":"studier","password":"correct horse"}`); r.status != 200 {
		t.Fatalf("login: got %d %s", r.status, r.raw)
	}

	if err := env.Redis.Stop(); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		method, path, body string
		status             int
	}{
		{"GET", "/api/v1/me", "", 503},
		{"POST", "/api/v1/login", `{"username":"studier","password":"correct horse"}`, 503},
		{"GET", "/api/v1/todos", "", 200},
		{"POST", "/api/v1/todos", `{"title":"written without Redis"}`, 201},
		{"GET", "/api/v1/ready", "", 503},
		{"GET", "/api/v1/health", "", 200},
	}
	for _, tt := range tests {
		r := call(t, c, tt.method, p.URL+tt.path, tt.body)
		if r.status != tt.status {
			t.Errorf("%s %s with Redis down: got %d %s, want %d", tt.method, tt.path, r.status, r.raw, tt.status)
		}
		if r.status == 503 && tt.path != "/api/v1/ready" && r.body["error"] != "sessions are unavailable (Redis does not answer); try again" {
			t.Errorf("%s %s: got error %v, want it to name sessions and Redis", tt.method, tt.path, r.body["error"])
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if err := env.Redis.Start(ctx); err != nil {
		t.Fatal(err)
	}
	if r := call(t, c, "GET", p.URL+"/api/v1/ready", ""); r.status != 200 {
		t.Errorf("ready after Redis returned: got %d %s", r.status, r.raw)
	}
}
