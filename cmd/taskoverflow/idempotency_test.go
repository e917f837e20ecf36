package main

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/taskoverflow-lab/taskoverflow/internal/backing"
	"github.com/taskoverflow-lab/taskoverflow/internal/backingtest"
	"github.com/taskoverflow-lab/taskoverflow/internal/faults"
)

// The same Idempotency-Key returns the first answer, status and body, and
// creates one todo; the same key with another body is refused, naming the
// key; a malformed key is a 400.
func TestIdempotencyKeyReplaysTheFirstAnswer(t *testing.T) {
	env := backingtest.ForTest(t)
	db := backingtest.FreshDatabase(t, env)
	p := startAPI(t, &backing.Env{DatabaseURL: db, RedisURL: env.RedisURL}, nil)
	c := &http.Client{Timeout: 10 * time.Second}

	body := `{"title":"exactly once","deadline_at":"2023-12-04T14:00:00"}`
	st1, h1, first := keyed(c, p.URL, "k-7f3a", body)
	st2, h2, second := keyed(c, p.URL, "k-7f3a", ` { "deadline_at": "2023-12-04T14:00:00", "title": "exactly once" }`)
	if st1 != 201 || st2 != 201 || string(first) != string(second) || h1.Get("Location") != h2.Get("Location") {
		t.Errorf("the same key twice: got %d %s then %d %s, want the first answer again", st1, first, st2, second)
	}
	if h2.Get("Idempotent-Replayed") != "true" || h1.Get("Idempotent-Replayed") != "" {
		t.Errorf("Idempotent-Replayed: got %q first, %q on the replay; want it only on the replay", h1.Get("Idempotent-Replayed"), h2.Get("Idempotent-Replayed"))
	}
	if n := titles(t, db)["exactly once"]; n != 1 {
		t.Errorf("rows: got %d todos for the one key, want 1", n)
	}

	tests := []struct {
		name, key, body string
		status          int
		contains        string
	}{
		{"same key, another body", "k-7f3a", `{"title":"something else"}`, 409, `Idempotency-Key \"k-7f3a\" was used for a request with another body`},
		{"key too long", strings.Repeat("k", 256), `{"title":"t"}`, 400, `Idempotency-Key must be`},
		{"key with a space", "a b", `{"title":"t"}`, 400, `Idempotency-Key must be`},
		{"empty key", "", `{"title":"t"}`, 400, `Idempotency-Key must be`},
		{"a new key creates", "k-other", `{"title":"exactly once"}`, 201, `"title":"exactly once"`},
		{"the body is still validated", "k-bad", `{"title":""}`, 400, `title is required`},
	}
	for _, tt := range tests {
		st, _, raw := keyed(c, p.URL, tt.key, tt.body)
		if st != tt.status || !strings.Contains(string(raw), tt.contains) {
			t.Errorf("%s: got %d %s, want %d containing %s", tt.name, st, raw, tt.status, tt.contains)
		}
	}
	if n := titles(t, db)["exactly once"]; n != 2 {
		t.Errorf("rows after a second key: got %d, want 2", n)
	}
}

// Postgres paused (its replies blackholed by toxiproxy, so a write may commit
// while its answer is lost) while clients create todos with an
// Idempotency-Key each, retrying 503s after Retry-After: once Postgres
// answers again every todo exists exactly once, none lost, none duplicated,
// and a retry of an acknowledged key returns the same todo.
func TestPostgresPauseWithRetriesCreatesEachTodoOnce(t *testing.T) {
	px := newProxied(t)
	p := startAPI(t, px.env, map[string]string{"REQUEST_TIMEOUT": "1s"})
	const workers, each = 4, 12
	var mu sync.Mutex
	ids := map[string]int64{}
	var unavailable int
	var failures []string
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			c := &http.Client{Timeout: 5 * time.Second}
			for i := 0; i < each; i++ {
				key := fmt.Sprintf("p%d-%d", w, i)
				id, others := createWithRetries(c, func() string { return p.URL }, key, `{"title":"`+key+`"}`, 40)
				mu.Lock()
				for _, st := range others {
					if st == 503 {
						unavailable++
					} else {
						failures = append(failures, fmt.Sprintf("%s: %d", key, st))
					}
				}
				if id == 0 {
					failures = append(failures, key+": never created")
				}
				ids[key] = id
				mu.Unlock()
				time.Sleep(50 * time.Millisecond)
			}
		}(w)
	}
	time.Sleep(300 * time.Millisecond)
	hole := px.pg.Blackhole(t, faults.Downstream)
	time.Sleep(3 * time.Second)
	px.pg.Remove(t, hole)
	wg.Wait()

	for _, f := range failures {
		if !strings.HasSuffix(f, ": 0") { // a dropped connection is retried like a 503
			t.Errorf("%s", f)
		}
	}
	if unavailable == 0 {
		t.Errorf("no 503 during the pause: the test proves nothing")
	}
	stored := titles(t, px.directDB)
	for key := range ids {
		if stored[key] != 1 {
			t.Errorf("todo %s: %d rows, want exactly 1", key, stored[key])
		}
	}
	if len(stored) != workers*each {
		t.Errorf("titles stored: got %d, want %d", len(stored), workers*each)
	}
	c := &http.Client{Timeout: 5 * time.Second}
	for key, id := range ids {
		st, _, raw := keyed(c, p.URL, key, `{"title":"`+key+`"}`)
		var todo struct{ ID int64 }
		json.Unmarshal(raw, &todo)
		if st != 201 || todo.ID != id {
			t.Errorf("retry of acknowledged %s: got %d %s, want 201 with id %d", key, st, raw, id)
			break
		}
	}
	t.Logf("%d todos created once each; %d 503s retried", len(ids), unavailable)
}
