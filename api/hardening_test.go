package api_test

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/taskoverflow-lab/taskoverflow/api"
	"github.com/taskoverflow-lab/taskoverflow/config"
	"github.com/taskoverflow-lab/taskoverflow/internal/backingtest"
	"github.com/taskoverflow-lab/taskoverflow/logging"
	"github.com/taskoverflow-lab/taskoverflow/session"
	"github.com/taskoverflow-lab/taskoverflow/store"
)

// served is the whole API served by api.Server on a loopback listener (the
// connection limit and the HTTP timeouts included) on real Postgres and Redis.
type served struct {
	url  string // http://127.0.0.1:port
	addr string // 127.0.0.1:port
	logs *syncBuffer
}

// serveStack starts the server; redisURL "" means the test binary's Redis;
// tune, when set, changes the options before the server is built.
func serveStack(t *testing.T, redisURL string, tune func(*api.ServerOptions)) *served {
	t.Helper()
	env := backingtest.ForTest(t)
	if redisURL == "" {
		redisURL = env.RedisURL
	}
	cfg, err := config.Load(func(string) string { return "" })
	if err != nil {
		t.Fatal(err)
	}
	logs := &syncBuffer{}
	log := logging.New(logs, "json", slog.LevelDebug, false)
	ctx := context.Background()
	db, err := store.Open(ctx, backingtest.FreshDatabase(t, env), "", storeOptions(cfg.DB), log)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(db.Close)
	if _, err := db.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	sessions, err := session.Open(redisURL, sessionOptions(cfg.Redis), cfg.SessionTTL, log)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sessions.Close() })
	reg := prometheus.NewRegistry()
	reg.MustRegister(db.Collector(), sessions.Collector())
	opts := api.ServerOptions{
		Options: api.Options{
			MaxInflight: 64, RequestTimeout: 5 * time.Second, ReadyTimeout: time.Second, BodyTimeout: 10 * time.Second,
			SessionTTL: time.Hour, BcryptCost: 4,
		},
		MaxConns: 64, ReadHeaderTimeout: 5 * time.Second, ReadTimeout: time.Minute, WriteTimeout: time.Minute, IdleTimeout: 2 * time.Minute,
	}
	if tune != nil {
		tune(&opts)
	}
	srv := api.NewServer(api.Deps{
		Todos: db, Users: db, Sessions: sessions,
		Ready: map[string]api.Pinger{"postgres": db, "redis": sessions},
		Log:   log, Registry: reg,
	}, opts)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ln) }()
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		srv.Shutdown(ctx)
		<-done
	})
	return &served{url: "http://" + ln.Addr().String(), addr: ln.Addr().String(), logs: logs}
}

// linesWith returns the log lines that contain s.
func linesWith(logs, s string) []string {
	var out []string
	for _, l := range strings.Split(logs, "\n") {
		if strings.Contains(l, s) {
			out = append(out, l)
		}
	}
	return out
}

// httpSeries counts the label sets of the request counter and of the latency
// histogram that /metrics shows.
func httpSeries(t *testing.T, c *http.Client, base string) (series int, size int) {
	t.Helper()
	r := do(t, c, "GET", base+"/metrics", "", "")
	for _, l := range strings.Split(string(r.body), "\n") {
		if strings.HasPrefix(l, "http_requests_total{") || strings.HasPrefix(l, "http_request_duration_seconds_count{") {
			series++
		}
	}
	return series, len(r.body)
}

// Anonymous requests with made-up methods add at most a constant number of
// series to /metrics: unknown methods are counted as one, OTHER.
func TestMetricsSeriesBoundedUnderRandomMethods(t *testing.T) {
	s := serveStack(t, "", nil)
	c := &http.Client{Timeout: 10 * time.Second}
	do(t, c, "GET", s.url+"/api/v1/todos", "", "")
	before, _ := httpSeries(t, c, s.url)
	rng := rand.New(rand.NewPCG(1, 2))
	for i := 0; i < 1000; i++ {
		method := fmt.Sprintf("X%08X", rng.Uint32())
		r := do(t, c, method, s.url+"/api/v1/todos", "", "")
		if r.status >= 500 {
			t.Fatalf("%s /api/v1/todos: got %d %s", method, r.status, r.body)
		}
	}
	after, size := httpSeries(t, c, s.url)
	t.Logf("1,000 made-up methods: HTTP series %d -> %d, /metrics %d bytes", before, after, size)
	// One route, one status, one method label: two new label sets, with
	// room for the /metrics requests themselves.
	if after-before > 6 {
		t.Errorf("1,000 made-up methods added %d series to /metrics (from %d to %d), want at most 6", after-before, before, after)
	}
	if r := do(t, c, "GET", s.url+"/metrics", "", ""); !strings.Contains(string(r.body), `method="OTHER"`) {
		t.Errorf("/metrics does not count the made-up methods as OTHER")
	}
}

// A 500 KB method or URL makes a bounded log line, a bounded error body and
// leaves /metrics small.
func TestHugeMethodAndURLMakeBoundedLogs(t *testing.T) {
	s := serveStack(t, "", nil)
	c := &http.Client{Timeout: 30 * time.Second}
	huge := strings.Repeat("M", 500<<10)
	long := strings.Repeat("x", 500<<10)
	for _, tt := range []struct{ id, method, path string }{
		{"huge-method", huge, "/api/v1/todos"},
		{"huge-path", "GET", "/api/v1/todos/" + long},
		{"huge-query", "GET", "/api/v1/todos?completed=" + long},
		{"huge-unrouted", "GET", "/" + long},
	} {
		r := do(t, c, tt.method, s.url+tt.path, "", tt.id)
		if r.status >= 500 || r.status < 400 {
			t.Errorf("%s: got %d, want 4xx", tt.id, r.status)
		}
		if len(r.body) > 4<<10 {
			t.Errorf("%s: the error body is %d bytes, want at most 4 KiB", tt.id, len(r.body))
		}
		lines := linesWith(s.logs.String(), `"request_id":"`+tt.id+`"`)
		if len(lines) == 0 {
			t.Errorf("%s: no log line carries the request id", tt.id)
		}
		longest := 0
		for _, l := range lines {
			longest = max(longest, len(l))
		}
		t.Logf("%s: %d log lines, the longest %d bytes; error body %d bytes", tt.id, len(lines), longest, len(r.body))
		for _, l := range lines {
			if len(l) > 8<<10 {
				t.Errorf("%s: a log line is %d bytes, want at most 8 KiB: %.200s…", tt.id, len(l), l)
			}
		}
	}
	_, size := httpSeries(t, c, s.url)
	t.Logf("/metrics after the huge requests: %d bytes", size)
	if size > 64<<10 {
		t.Errorf("/metrics is %d bytes after four requests, want at most 64 KiB", size)
	}
}

// A NUL character in a text field is a 400 naming the field, on Postgres,
// which cannot store it, as on every store.
func TestNULInTextIsRejected(t *testing.T) {
	s := newStack(t)
	c := newClient(t)
	base := s.URL + "/api/v1"
	created := do(t, c, "POST", base+"/todos", `{"title":"to update"}`, "")
	id := int(created.json(t)["id"].(float64))
	do(t, c, "POST", base+"/users", `{"username":"studier","password":"correct horse"}`, "")
	tests := []struct {
		name, method, path, body, field string
	}{
		{"create title", "POST", "/todos", `{"title":"a\u0000b"}`, "title"},
		{"create description", "POST", "/todos", `{"title":"t","description":"\u0000"}`, "description"},
		{"update title", "PUT", fmt.Sprintf("/todos/%d", id), `{"title":"a\u0000b"}`, "title"},
		{"update description", "PUT", fmt.Sprintf("/todos/%d", id), `{"description":"a\u0000"}`, "description"},
		{"register username", "POST", "/users", `{"username":"stu\u0000dier","password":"correct horse"}`, "username"},
		{"login username", "POST", "/login", `{"username":"stu\u0000dier","password":"correct horse"}`, "username"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := do(t, c, tt.method, base+tt.path, tt.body, "")
			if r.status != http.StatusBadRequest || !strings.Contains(r.json(t)["error"].(string), tt.field) {
				t.Errorf("got %d %s, want 400 naming %s", r.status, r.body, tt.field)
			}
		})
	}
	if got := do(t, c, "GET", fmt.Sprintf("%s/todos/%d", base, id), "", "").json(t)["title"]; got != "to update" {
		t.Errorf("the todo changed: title %q", got)
	}
}

// slowResult is what one slow sender saw.
type slowResult struct {
	status   int
	body     string
	finished bool // it sent its whole body
	err      error
}

// Twenty clients sending a body at 10 bytes a second, with MAX_INFLIGHT=16,
// are cut off at REQUEST_BODY_TIMEOUT with 408 and a safe message, long
// before their bodies would have arrived, and others are served again.
func TestSlowBodiesAreCutOff(t *testing.T) {
	s := serveStack(t, "", func(o *api.ServerOptions) {
		o.MaxInflight = 16
		o.BodyTimeout = time.Second
	})
	body := `{"title":"` + strings.Repeat("s", 60) + `"}`
	stop := make(chan struct{})
	defer close(stop)
	const senders = 20
	results := make(chan slowResult, senders)
	for i := 0; i < senders; i++ {
		go func() { results <- slowPost(s.addr, fmt.Sprintf("slow-%d", i), body, stop) }()
	}
	cut := 0
	for i := 0; i < senders; i++ {
		res := <-results
		switch {
		case res.err != nil:
			t.Errorf("slow sender: %v", res.err)
		case res.status == http.StatusRequestTimeout:
			cut++
			var e map[string]string
			if err := json.Unmarshal([]byte(res.body), &e); err != nil || !strings.Contains(e["error"], "REQUEST_BODY_TIMEOUT") {
				t.Errorf("408 body %q: want a JSON error naming REQUEST_BODY_TIMEOUT", res.body)
			}
			for _, leak := range []string{"tcp", "127.0.0.1", "i/o timeout"} {
				if strings.Contains(res.body, leak) {
					t.Errorf("408 body %q leaks %q", res.body, leak)
				}
			}
			if res.finished {
				t.Errorf("a slow sender had sent its whole body before the 408")
			}
		case res.status == http.StatusServiceUnavailable:
			// Beyond MAX_INFLIGHT: refused at once.
		default:
			t.Errorf("slow sender: got %d %s (whole body sent: %v), want 408 before the body arrived", res.status, res.body, res.finished)
		}
	}
	if cut == 0 {
		t.Errorf("no slow sender was cut off with 408")
	}
	c := &http.Client{Timeout: 10 * time.Second}
	if r := do(t, c, "GET", s.url+"/api/v1/todos", "", ""); r.status != http.StatusOK {
		t.Errorf("after the slow senders were cut off: got %d %s, want 200", r.status, r.body)
	}
	if lines := linesWith(s.logs.String(), `"request_id":"slow-`); !strings.Contains(strings.Join(lines, "\n"), "timeout") {
		t.Errorf("the log does not give the cause of the 408:\n%s", strings.Join(lines, "\n"))
	}
}

// slowPost sends a POST /api/v1/todos whose body goes a byte every 100 ms,
// and returns what it saw; it gives up on an answer after 20 s.
func slowPost(addr, requestID, body string, stop <-chan struct{}) slowResult {
	var res slowResult
	conn, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		res.err = err
		return res
	}
	defer conn.Close()
	fmt.Fprintf(conn, "POST /api/v1/todos HTTP/1.1\r\nHost: test\r\nContent-Type: application/json\r\nContent-Length: %d\r\nX-Request-ID: %s\r\n\r\n", len(body), requestID)
	var sent atomic.Bool
	go func() {
		for j := 0; j < len(body); j++ {
			select {
			case <-stop:
				return
			case <-time.After(100 * time.Millisecond):
			}
			if _, err := conn.Write([]byte{body[j]}); err != nil {
				return
			}
		}
		sent.Store(true)
	}()
	// The failure condition: no answer within 20 s (the body takes 7.5 s).
	conn.SetReadDeadline(time.Now().Add(20 * time.Second))
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		res.err = err
		return res
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	res.status, res.body, res.finished = resp.StatusCode, string(b), sent.Load()
	return res
}

// A request refused at MAX_INFLIGHT is answered at once, not after its
// body has trickled in: the server does not wait to read a body it will not use.
func TestRefusedSlowBodyIsAnsweredAtOnce(t *testing.T) {
	s := serveStack(t, "", func(o *api.ServerOptions) {
		o.MaxInflight = 1
		o.BodyTimeout = 30 * time.Second
		o.RequestTimeout = 30 * time.Second
	})
	body := `{"title":"` + strings.Repeat("s", 60) + `"}`
	stop := make(chan struct{})
	defer close(stop)
	holder := make(chan slowResult, 1)
	go func() { holder <- slowPost(s.addr, "holder", body, stop) }()
	// Wait until the holder's request is in its handler, holding the slot.
	deadline := time.Now().Add(10 * time.Second)
	for !strings.Contains(s.logs.String(), `"request_id":"holder"`) && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	refused := slowPost(s.addr, "refused", body, stop)
	if refused.err != nil || refused.status != http.StatusServiceUnavailable {
		t.Fatalf("second slow sender: got %d %v, want 503", refused.status, refused.err)
	}
	if refused.finished {
		t.Errorf("the 503 came only after the refused request's whole body was sent")
	}
	if h := <-holder; h.status != http.StatusCreated {
		t.Errorf("the slot holder: got %d %s %v, want 201", h.status, h.body, h.err)
	}
}

// With MAX_CONNS keep-alive connections open and idle, a new connection is
// still served: the longest-idle one is closed to make room.
func TestIdleConnectionsMakeRoomForNewOnes(t *testing.T) {
	const maxConns = 8
	s := serveStack(t, "", func(o *api.ServerOptions) { o.MaxConns = maxConns })
	var idle []*http.Client
	for i := 0; i < maxConns; i++ {
		c := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 1}, Timeout: 10 * time.Second}
		t.Cleanup(c.CloseIdleConnections)
		if r := do(t, c, "GET", s.url+"/api/v1/health", "", ""); r.status != http.StatusOK {
			t.Fatalf("idle client %d: got %d", i, r.status)
		}
		idle = append(idle, c)
	}
	for i := 0; i < 3; i++ {
		// The failure condition is the client's timeout: the request waits
		// for a connection slot that no idle connection gives up.
		fresh := &http.Client{Transport: &http.Transport{DisableKeepAlives: true}, Timeout: 10 * time.Second}
		resp, err := fresh.Get(s.url + "/api/v1/health")
		if err != nil {
			t.Fatalf("new connection %d with %d idle ones open: %v", i, maxConns, err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("new connection %d: got %d, want 200", i, resp.StatusCode)
		}
	}
	// The clients whose connection was closed reconnect.
	for i, c := range idle {
		if r := do(t, c, "GET", s.url+"/api/v1/health", "", ""); r.status != http.StatusOK {
			t.Errorf("idle client %d again: got %d", i, r.status)
		}
	}
}

// At the limit, a connection that has sent no request yet is not closed to
// make room: only idle keep-alive ones are.
func TestConnectionsWithoutARequestAreNotEvicted(t *testing.T) {
	s := serveStack(t, "", func(o *api.ServerOptions) { o.MaxConns = 2 })
	quiet, err := net.DialTimeout("tcp", s.addr, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer quiet.Close()
	kept := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 1}, Timeout: 10 * time.Second}
	t.Cleanup(kept.CloseIdleConnections)
	if r := do(t, kept, "GET", s.url+"/api/v1/health", "", ""); r.status != http.StatusOK {
		t.Fatalf("keep-alive client: got %d", r.status)
	}
	fresh := &http.Client{Transport: &http.Transport{DisableKeepAlives: true}, Timeout: 10 * time.Second}
	if r := do(t, fresh, "GET", s.url+"/api/v1/health", "", ""); r.status != http.StatusOK {
		t.Fatalf("new connection: got %d", r.status)
	}
	// The quiet connection was kept: it is served when it speaks.
	fmt.Fprint(quiet, "GET /api/v1/health HTTP/1.1\r\nHost: test\r\nConnection: close\r\n\r\n")
	quiet.SetReadDeadline(time.Now().Add(10 * time.Second))
	resp, err := http.ReadResponse(bufio.NewReader(quiet), nil)
	if err != nil {
		t.Fatalf("the connection that had sent nothing: %v (closed to make room?)", err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Errorf("the connection that had sent nothing: got %d, want 200", resp.StatusCode)
	}
}

// /ready names the service that does not answer and never shows its error:
// the address and the dial error go to the log only.
func TestReadyHidesInternalErrors(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	dead := ln.Addr().String()
	ln.Close()
	s := serveStack(t, "redis://"+dead+"/0", nil)
	c := &http.Client{Timeout: 10 * time.Second}
	r := do(t, c, "GET", s.url+"/api/v1/ready", "", "ready-dead-redis")
	if r.status != http.StatusServiceUnavailable {
		t.Fatalf("got %d %s, want 503", r.status, r.body)
	}
	body := r.json(t)
	if body["redis"] == "ok" || body["postgres"] != "ok" || !strings.Contains(fmt.Sprint(body["error"]), "redis") {
		t.Errorf("got %s, want redis named as not answering, postgres ok", r.body)
	}
	_, port, _ := net.SplitHostPort(dead)
	for _, leak := range []string{"dial", "tcp", "refused", port} {
		if strings.Contains(string(r.body), leak) {
			t.Errorf("/ready body %s leaks %q", r.body, leak)
		}
	}
	if lines := linesWith(s.logs.String(), `"request_id":"ready-dead-redis"`); !strings.Contains(strings.Join(lines, "\n"), port) {
		t.Errorf("the log does not give redis's error:\n%s", strings.Join(lines, "\n"))
	}
}

// GET /todos returns every todo by default; ?limit= and ?after= page through
// them by id, with a Link to the next page; bad values are 400.
func TestListPaging(t *testing.T) {
	s := newStack(t)
	c := newClient(t)
	url := s.URL + "/api/v1/todos"
	var ids []int64
	for i := 0; i < 5; i++ {
		created := do(t, c, "POST", url, fmt.Sprintf(`{"title":"todo %d","completed":%v}`, i, i%2 == 1), "")
		ids = append(ids, int64(created.json(t)["id"].(float64)))
	}
	list := func(query string) ([]int64, response) {
		t.Helper()
		r := do(t, c, "GET", url+query, "", "")
		if r.status != http.StatusOK {
			t.Fatalf("GET /todos%s: got %d %s, want 200", query, r.status, r.body)
		}
		var todos []struct {
			ID int64 `json:"id"`
		}
		if err := json.Unmarshal(r.body, &todos); err != nil {
			t.Fatalf("GET /todos%s: %v", query, err)
		}
		got := []int64{}
		for _, td := range todos {
			got = append(got, td.ID)
		}
		return got, r
	}
	for _, tt := range []struct {
		query string
		want  []int64
		next  string // the Link header's next page, "" for none
	}{
		{"", ids, ""}, // the whole list, as the original answers
		{"?limit=2", ids[:2], fmt.Sprintf("/api/v1/todos?after=%d&limit=2", ids[1])},
		{fmt.Sprintf("?after=%d&limit=2", ids[1]), ids[2:4], fmt.Sprintf("/api/v1/todos?after=%d&limit=2", ids[3])},
		{fmt.Sprintf("?after=%d&limit=2", ids[3]), ids[4:], ""},
		{fmt.Sprintf("?after=%d", ids[2]), ids[3:], ""},
		{fmt.Sprintf("?after=%d", ids[4]), []int64{}, ""},
		{"?limit=1000", ids, ""},
		{"?completed=false&limit=2", []int64{ids[0], ids[2]}, fmt.Sprintf("/api/v1/todos?after=%d&completed=false&limit=2", ids[2])},
	} {
		got, r := list(tt.query)
		if fmt.Sprint(got) != fmt.Sprint(tt.want) {
			t.Errorf("GET /todos%s: got ids %v, want %v", tt.query, got, tt.want)
		}
		link := r.header.Get("Link")
		if tt.next == "" && link != "" || tt.next != "" && link != "<"+tt.next+`>; rel="next"` {
			t.Errorf("GET /todos%s: Link %q, want next page %q", tt.query, link, tt.next)
		}
	}
	for _, query := range []string{"?limit=0", "?limit=-1", "?limit=1001", "?limit=ten", "?after=-1", "?after=x", "?after=1.5"} {
		r := do(t, c, "GET", url+query, "", "")
		param := strings.Split(strings.TrimPrefix(query, "?"), "=")[0]
		if r.status != http.StatusBadRequest || !strings.Contains(string(r.body), param) {
			t.Errorf("GET /todos%s: got %d %s, want 400 naming %s", query, r.status, r.body, param)
		}
	}
}
