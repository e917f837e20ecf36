package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/taskoverflow-lab/taskoverflow/internal/backing"
	"github.com/taskoverflow-lab/taskoverflow/internal/backingtest"
	"github.com/taskoverflow-lab/taskoverflow/internal/faults"
)

// proxied is a fresh database and the shared Redis, each behind its own
// toxiproxy.
type proxied struct {
	env       *backing.Env // the URLs through the proxies
	directDB  string       // the database's URL without the proxy, for checks
	pg, redis *faults.Proxy
}

func newProxied(t *testing.T) proxied {
	t.Helper()
	shared := backingtest.ForTest(t)
	db := backingtest.FreshDatabase(t, shared)
	pg, pgURL := faults.StartURL(t, "postgres", db)
	rd, redisURL := faults.StartURL(t, "redis", shared.RedisURL)
	return proxied{env: &backing.Env{DatabaseURL: pgURL, RedisURL: redisURL}, directDB: db, pg: pg, redis: rd}
}

// metric returns the value of the unlabelled series name in the server's /metrics.
func metric(t *testing.T, base, name string) float64 {
	t.Helper()
	resp, err := http.Get(base + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	sc := bufio.NewScanner(resp.Body)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), name+" "); ok {
			f, err := strconv.ParseFloat(v, 64)
			if err != nil {
				t.Fatalf("%s: %v", name, err)
			}
			return f
		}
	}
	t.Fatalf("/metrics has no %s", name)
	return 0
}

// titles returns how many rows each todo title has in the database.
func titles(t *testing.T, dbURL string) map[string]int {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, dbURL)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	rows, _ := conn.Query(ctx, "SELECT title FROM todos")
	all, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		t.Fatal(err)
	}
	n := map[string]int{}
	for _, title := range all {
		n[title]++
	}
	return n
}

// keyed sends POST /todos with an Idempotency-Key. A transport error is
// status 0.
func keyed(c *http.Client, url, key, body string) (status int, header http.Header, raw []byte) {
	req, _ := http.NewRequest("POST", url+"/api/v1/todos", strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Idempotency-Key", key)
	resp, err := c.Do(req)
	if err != nil {
		return 0, nil, []byte(err.Error())
	}
	defer resp.Body.Close()
	raw, _ = io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header, raw
}

// createWithRetries posts until a 201, honouring Retry-After on a 503 and
// retrying transport errors after 200 ms, at most attempts times. It
// returns the created todo's id, or 0, and every status other than 201 seen.
func createWithRetries(c *http.Client, url func() string, key, body string, attempts int) (int64, []int) {
	var others []int
	for i := 0; i < attempts; i++ {
		status, h, raw := keyed(c, url(), key, body)
		switch status {
		case http.StatusCreated:
			var todo struct{ ID int64 }
			json.Unmarshal(raw, &todo)
			return todo.ID, others
		case http.StatusServiceUnavailable:
			wait := time.Second
			if s, err := strconv.Atoi(h.Get("Retry-After")); err == nil {
				wait = time.Duration(s) * time.Second
			}
			others = append(others, status)
			time.Sleep(wait)
		case 0:
			others = append(others, status)
			time.Sleep(200 * time.Millisecond)
		default:
			return 0, append(others, status)
		}
	}
	return 0, others
}

// Redis paused (blackholed by toxiproxy) while a logged-in client works:
// todo routes answer as if the client were anonymous, with a warning in the
// log, instead of waiting out the request's timeout and blaming the
// database; /me answers 503 naming Redis; once Redis answers again the
// session is back.
func TestRedisBlackholedLeavesRequestsAnonymous(t *testing.T) {
	px := newProxied(t)
	p := startAPI(t, px.env, map[string]string{"REQUEST_TIMEOUT": "2s", "SESSION_LOAD_TIMEOUT": "200ms"})
	jar, _ := cookiejar.New(nil)
	c := &http.Client{Timeout: 10 * time.Second, Jar: jar}
	call(t, c, "POST", p.URL+"/api/v1/users", `{"username":"planner","password":"correct horse"}`)
	if r := call(t, c, "POST", p.URL+"/api/v1/login", `{"username":"planner","password":"correct horse"}`); r.status != 200 {
		t.Fatalf("login: got %d %s", r.status, r.raw)
	}

	hole := px.redis.Blackhole(t, faults.Upstream)
	tests := []struct {
		method, path, body string
		status             int
	}{
		{"GET", "/api/v1/todos", "", 200},
		{"POST", "/api/v1/todos", `{"title":"written while Redis is paused"}`, 201},
		{"GET", "/api/v1/todos/1", "", 200},
		{"GET", "/api/v1/me", "", 503},
	}
	for _, tt := range tests {
		r := call(t, c, tt.method, p.URL+tt.path, tt.body)
		if r.status != tt.status {
			t.Errorf("%s %s with Redis paused: got %d %s, want %d", tt.method, tt.path, r.status, r.raw, tt.status)
		}
		if r.status == 503 && !strings.Contains(fmt.Sprint(r.body["error"]), "Redis") {
			t.Errorf("%s %s: got error %q, want it to name Redis", tt.method, tt.path, r.body["error"])
		}
	}
	if !bytes.Contains(p.Logs(), []byte(`"level":"WARN","msg":"session not loaded in time`)) {
		t.Errorf("no warning in the log for the session that could not be loaded")
	}

	px.redis.Remove(t, hole)
	var last reply
	for deadline := time.Now().Add(15 * time.Second); time.Now().Before(deadline); time.Sleep(200 * time.Millisecond) {
		if last = call(t, c, "GET", p.URL+"/api/v1/me", ""); last.status == 200 {
			break
		}
	}
	if last.status != 200 || last.body["username"] != "planner" {
		t.Errorf("me after Redis answered again: got %d %s, want the session back", last.status, last.raw)
	}
}

// Postgres 200 ms away (toxiproxy latency on its replies), with a pool of
// two for eight clients: every request still answers within REQUEST_TIMEOUT
// (no 503), and the wait for a connection shows in /metrics.
func TestPostgresLatencyStaysWithinRequestTimeout(t *testing.T) {
	px := newProxied(t)
	p := startAPI(t, px.env, map[string]string{"REQUEST_TIMEOUT": "5s", "DB_MAX_CONNS": "2", "DB_MIN_CONNS": "1"})
	c := &http.Client{Timeout: 10 * time.Second}
	created := call(t, c, "POST", p.URL+"/api/v1/todos", `{"title":"slow but there"}`)
	if created.status != 201 {
		t.Fatalf("create: got %d %s", created.status, created.raw)
	}
	waitBefore := metric(t, p.URL, "pgxpool_empty_acquire_wait_seconds_total")

	px.pg.Latency(t, faults.Downstream, 200, 0)
	var wg sync.WaitGroup
	var mu sync.Mutex
	statuses := map[int]int{}
	for w := 0; w < 8; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 3; i++ {
				resp, err := c.Get(fmt.Sprintf("%s/api/v1/todos/%v", p.URL, created.body["id"]))
				st := 0
				if err == nil {
					st = resp.StatusCode
					resp.Body.Close()
				}
				mu.Lock()
				statuses[st]++
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	if statuses[200] != 24 {
		t.Errorf("with Postgres 200 ms away: got statuses %v, want 24 × 200", statuses)
	}
	if waitAfter := metric(t, p.URL, "pgxpool_empty_acquire_wait_seconds_total"); waitAfter <= waitBefore {
		t.Errorf("pool wait in /metrics: got %v s after, %v s before; want it to rise", waitAfter, waitBefore)
	}
}

// Postgres blackholed (no byte passes either way): todo routes answer 503
// naming the database within the request's timeout, /ready 503, /health 200;
// once the toxic is removed the service recovers by itself.
func TestPostgresBlackholedAnswers503AndRecovers(t *testing.T) {
	px := newProxied(t)
	p := startAPI(t, px.env, map[string]string{"REQUEST_TIMEOUT": "1s", "READY_TIMEOUT": "500ms"})
	c := &http.Client{Timeout: 10 * time.Second}
	created := call(t, c, "POST", p.URL+"/api/v1/todos", `{"title":"survives the blackhole"}`)
	if created.status != 201 {
		t.Fatalf("create: got %d %s", created.status, created.raw)
	}

	up, down := px.pg.Blackhole(t, faults.Upstream), px.pg.Blackhole(t, faults.Downstream)
	for _, path := range []string{"/api/v1/todos", fmt.Sprintf("/api/v1/todos/%v", created.body["id"])} {
		r := call(t, c, "GET", p.URL+path, "")
		if r.status != 503 || r.body["error"] != "the database is unavailable; try again" {
			t.Errorf("GET %s, Postgres blackholed: got %d %s, want 503 naming the database", path, r.status, r.raw)
		}
	}
	if r := call(t, c, "GET", p.URL+"/api/v1/ready", ""); r.status != 503 || r.body["postgres"] == "ok" {
		t.Errorf("ready, Postgres blackholed: got %d %s, want 503 with postgres failing", r.status, r.raw)
	}
	if r := call(t, c, "GET", p.URL+"/api/v1/health", ""); r.status != 200 {
		t.Errorf("health, Postgres blackholed: got %d, want 200", r.status)
	}

	px.pg.Remove(t, up)
	px.pg.Remove(t, down)
	var last reply
	for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); time.Sleep(200 * time.Millisecond) {
		if last = call(t, c, "GET", fmt.Sprintf("%s/api/v1/todos/%v", p.URL, created.body["id"]), ""); last.status == 200 {
			break
		}
	}
	if last.status != 200 || last.body["title"] != "survives the blackhole" {
		t.Fatalf("after the blackhole: got %d %s, want the todo back", last.status, last.raw)
	}
	if r := call(t, c, "GET", p.URL+"/api/v1/ready", ""); r.status != 200 {
		t.Errorf("ready after the blackhole: got %d %s", r.status, r.raw)
	}
}

// Postgres connections reset mid-query, again and again, while clients create
// todos: no answer is a 500, and every todo that got a 201 is in the database.
func TestPostgresResetsLoseNoAcknowledgedTodo(t *testing.T) {
	px := newProxied(t)
	p := startAPI(t, px.env, map[string]string{"REQUEST_TIMEOUT": "2s"})
	var mu sync.Mutex
	statuses := map[int]int{}
	var acked []string
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for w := 0; w < 4; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			c := &http.Client{Timeout: 5 * time.Second}
			for i := 0; i < 2000; i++ {
				select {
				case <-stop:
					return
				default:
				}
				title := fmt.Sprintf("r%d-%d", w, i)
				st := 0
				resp, err := c.Post(p.URL+"/api/v1/todos", "application/json", strings.NewReader(`{"title":"`+title+`"}`))
				if err == nil {
					st = resp.StatusCode
					resp.Body.Close()
				}
				mu.Lock()
				statuses[st]++
				if st == http.StatusCreated {
					acked = append(acked, title)
				}
				mu.Unlock()
			}
		}(w)
	}
	// Five rounds: 300 ms of resets (each connection reset 5 ms after its
	// next query), 300 ms of calm.
	for round := 0; round < 5; round++ {
		toxic := px.pg.ResetPeer(t, faults.Upstream, 5)
		time.Sleep(300 * time.Millisecond)
		px.pg.Remove(t, toxic)
		time.Sleep(300 * time.Millisecond)
	}
	close(stop)
	wg.Wait()
	t.Logf("statuses: %v", statuses)
	if statuses[500] > 0 {
		t.Errorf("%d answers were 500 (want 503 for a reset connection)", statuses[500])
	}
	if statuses[503] == 0 {
		t.Errorf("no 503: the resets did not reach the requests, the test proves nothing")
	}
	stored := titles(t, px.directDB)
	var lost []string
	for _, title := range acked {
		if stored[title] == 0 {
			lost = append(lost, title)
		}
	}
	if len(lost) > 0 {
		t.Errorf("%d of %d acknowledged todos are missing: %v", len(lost), len(acked), lost)
	}
}
