package api_test

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
)

// Every line logged while serving a request (HTTP, SQL, Redis) is one JSON
// object carrying that request's id, method and URL.
func TestEveryLineOfARequestCarriesItsID(t *testing.T) {
	s := newStack(t)
	c := newClient(t)
	v1 := s.URL + "/api/v1"
	startup := len(s.logs.String()) // migrations, logged before serving
	do(t, c, "POST", v1+"/users", `{"username":"planner","password":"correct horse"}`, "req-register")
	do(t, c, "POST", v1+"/login", `{"username":"planner","password":"correct horse"}`, "req-login")
	created := do(t, c, "POST", v1+"/todos", `{"title":"CSSE6400 Clout Assignment"}`, "req-create").json(t)
	do(t, c, "GET", v1+"/todos", "", "req-list")
	do(t, c, "DELETE", fmt.Sprintf("%s/todos/%v", v1, created["id"]), "", "req-delete")
	do(t, c, "DELETE", v1+"/todos/undefined", "", "req-undefined")

	type line struct {
		Msg       string `json:"msg"`
		RequestID string `json:"request_id"`
		Method    string `json:"method"`
		URL       string `json:"url"`
		Route     string `json:"route"`
		Status    int    `json:"status"`
		SQL       string `json:"sql"`
		Cmd       string `json:"cmd"`
	}
	byID := map[string][]line{}
	for i, raw := range strings.Split(strings.TrimSpace(s.logs.String()[startup:]), "\n") {
		var l line
		if err := json.Unmarshal([]byte(raw), &l); err != nil {
			t.Fatalf("log line %d is not one JSON object: %q", i+1, raw)
		}
		switch l.Msg {
		case "request started", "request finished", "sql", "redis", "redis dial":
			if l.RequestID == "" || l.Method == "" || l.URL == "" {
				t.Errorf("log line %d lacks request_id, method or url: %s", i+1, raw)
			}
		}
		if l.RequestID != "" {
			byID[l.RequestID] = append(byID[l.RequestID], l)
		}
	}

	tests := []struct {
		id, method, url, route string
		status                 int
		sql                    []string // statements that must be logged under this id
		redis                  []string // commands that must be logged under this id
	}{
		{"req-register", "POST", "/api/v1/users", "/api/v1/users", 201, []string{"INSERT INTO users"}, nil},
		{"req-login", "POST", "/api/v1/login", "/api/v1/login", 200, []string{"FROM users WHERE username"}, []string{"SET"}},
		// The cookie makes every request load its session from Redis.
		{"req-create", "POST", "/api/v1/todos", "/api/v1/todos", 201, []string{"INSERT INTO todos"}, []string{"GETEX"}},
		{"req-list", "GET", "/api/v1/todos", "/api/v1/todos", 200, []string{"FROM todos"}, []string{"GETEX"}},
		{"req-delete", "DELETE", fmt.Sprintf("/api/v1/todos/%v", created["id"]), "/api/v1/todos/{id}", 200, []string{"DELETE FROM todos"}, []string{"GETEX"}},
		{"req-undefined", "DELETE", "/api/v1/todos/undefined", "/api/v1/todos/{id}", 404, nil, []string{"GETEX"}},
	}
	for _, tt := range tests {
		t.Run(tt.id, func(t *testing.T) {
			lines := byID[tt.id]
			if len(lines) == 0 {
				t.Fatalf("no log line carries request_id %s", tt.id)
			}
			if first := lines[0]; first.Msg != "request started" {
				t.Errorf("first line: got %q, want request started", first.Msg)
			}
			last := lines[len(lines)-1]
			if last.Msg != "request finished" || last.Route != tt.route || last.Status != tt.status {
				t.Errorf("last line: got %+v, want request finished, route %s, status %d", last, tt.route, tt.status)
			}
			for _, l := range lines {
				if l.Method != tt.method || l.URL != tt.url {
					t.Errorf("line %q: got %s %s, want %s %s", l.Msg, l.Method, l.URL, tt.method, tt.url)
				}
			}
			for _, want := range tt.sql {
				if !hasLine(lines, func(l line) bool { return l.Msg == "sql" && strings.Contains(l.SQL, want) }) {
					t.Errorf("no sql line containing %q under %s", want, tt.id)
				}
			}
			for _, want := range tt.redis {
				if !hasLine(lines, func(l line) bool { return l.Msg == "redis" && l.Cmd == want }) {
					t.Errorf("no redis %s line under %s", want, tt.id)
				}
			}
		})
	}
}

func hasLine[L any](lines []L, ok func(L) bool) bool {
	for _, l := range lines {
		if ok(l) {
			return true
		}
	}
	return false
}

// /metrics exposes the pools' statistics and HTTP series labelled by route
// pattern, never by raw path.
func TestMetricsAfterLoad(t *testing.T) {
	s := newStack(t)
	c := newClient(t)
	v1 := s.URL + "/api/v1"
	do(t, c, "POST", v1+"/users", `{"username":"studier","password":"correct horse"}`, "")
	do(t, c, "POST", v1+"/login", `{"username":"studier","password":"correct horse"}`, "")
	for i := 0; i < 20; i++ {
		id := do(t, c, "POST", v1+"/todos", `{"title":"load"}`, "").json(t)["id"]
		do(t, c, "GET", fmt.Sprintf("%s/todos/%v", v1, id), "", "")
	}
	resp, err := c.Get(s.URL + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	metrics := string(b)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("/metrics: got %s", resp.Status)
	}
	for _, want := range []string{
		`http_requests_total{method="GET",route="/api/v1/todos/{id}",status="200"} 20`,
		`http_requests_total{method="POST",route="/api/v1/todos",status="201"} 20`,
		`http_request_duration_seconds_count{method="GET",route="/api/v1/todos/{id}"} 20`,
		"http_inflight_requests 1", // the scrape itself
		"pgxpool_max_conns 10",
		"redis_pool_max_active 32",
	} {
		if !strings.Contains(metrics, want) {
			t.Errorf("/metrics lacks %q", want)
		}
	}
	for name, atLeast := range map[string]float64{
		"pgxpool_acquire_count_total": 42, // 2 for the user, 40 for the todos
		"pgxpool_total_conns":         1,
		"pgxpool_new_conns_total":     1,
		"redis_pool_dials_total":      1,
		"redis_pool_active_conns":     1,
	} {
		if v := metricValue(t, metrics, name); v < atLeast {
			t.Errorf("%s: got %v, want at least %v", name, v, atLeast)
		}
	}
	if strings.Contains(metrics, `route="/api/v1/todos/1"`) {
		t.Error("a raw path is used as a label")
	}
}

func metricValue(t *testing.T, text, name string) float64 {
	t.Helper()
	for _, l := range strings.Split(text, "\n") {
		if strings.HasPrefix(l, name+" ") {
			var v float64
			fmt.Sscan(strings.TrimPrefix(l, name+" "), &v)
			return v
		}
	}
	t.Fatalf("no series %s", name)
	return 0
}
