package api_test

import (
	"bytes"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/taskoverflow-lab/taskoverflow/api"
	"github.com/taskoverflow-lab/taskoverflow/inmem"
	"github.com/taskoverflow-lab/taskoverflow/logging"
)

// memHandler is the API on the in-memory store (which keeps the Postgres
// store's contract): fast enough for fuzzing the HTTP layer.
func memHandler() http.Handler {
	db := inmem.New()
	return api.Routes(api.Deps{
		Todos: db, Users: db, Log: logging.Discard(), Registry: prometheus.NewRegistry(),
	}, api.Options{MaxInflight: 8, RequestTimeout: time.Second, ReadyTimeout: time.Second, SessionTTL: time.Hour, BcryptCost: 4}, new(atomic.Bool))
}

// fuzzHandlers are the API on the in-memory store and on Postgres: the
// in-memory store accepts what Postgres refuses (a NUL character), so the
// fuzzers run on both.
func fuzzHandlers(f *testing.F) map[string]http.Handler {
	return map[string]http.Handler{
		"inmem":    memHandler(),
		"postgres": buildStack(f, io.Discard, slog.LevelError).Config.Handler,
	}
}

// No body makes POST or PUT /todos answer 5xx or panic.
func FuzzTodoJSON(f *testing.F) {
	for _, seed := range []string{
		`{"title":"CSSE6400 Clout Assignment","completed":false,"description":"","deadline_at":"2023-12-04T14:00:00"}`,
		`{"title":"t","deadline_at":"2023-12-04T14:00:00+10:00"}`,
		`{"title":null}`, `{"title":"t","deadline_at":null}`, `{"id":1,"title":"t"}`, `{"id":"1"}`,
		`{"title":"t","completed":1}`, `[]`, `null`, `"x"`, `{`, ``, `{"title":"t"}{}`, `{"title":"\ud800"}`,
		`{"title":"t","deadline_at":"0000-00-00T00:00:00"}`, `{"title":"t","deadline_at":"9999-12-31T23:59:59"}`,
		`{"title":"a\u0000b"}`, `{"title":"t","description":"\u0000"}`, "{\"title\":\"a\x00b\"}",
	} {
		f.Add([]byte(seed))
	}
	handlers := fuzzHandlers(f)
	for _, h := range handlers {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest("POST", "/api/v1/todos", bytes.NewReader([]byte(`{"title":"to update"}`))))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		for name, h := range handlers {
			for _, target := range []struct{ method, path string }{{"POST", "/api/v1/todos"}, {"PUT", "/api/v1/todos/1"}} {
				rec := httptest.NewRecorder()
				h.ServeHTTP(rec, httptest.NewRequest(target.method, target.path, bytes.NewReader(body)))
				if rec.Code >= 500 {
					t.Fatalf("%s: %s %s %q: got %d %s", name, target.method, target.path, body, rec.Code, rec.Body)
				}
			}
		}
	})
}

// No body makes POST /users or POST /login answer 5xx or panic, on Postgres
// and Redis (the in-memory store has no sessions to log in to).
func FuzzCredentials(f *testing.F) {
	for _, seed := range []string{
		`{"username":"studier","password":"correct horse"}`, `{"username":"stu\u0000dier","password":"correct horse"}`,
		`{"username":"studier","password":"\u0000\u0000\u0000\u0000\u0000\u0000\u0000\u0000"}`,
		`{"username":"\ud800","password":"x"}`, `{"username":1,"password":"x"}`, `{"username":"studier"}`, `{}`, `[]`, ``,
	} {
		f.Add([]byte(seed))
	}
	handlers := map[string]http.Handler{"postgres": buildStack(f, io.Discard, slog.LevelError).Config.Handler}
	for _, h := range handlers {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest("POST", "/api/v1/users", bytes.NewReader([]byte(`{"username":"studier","password":"correct horse"}`))))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		for name, h := range handlers {
			for _, path := range []string{"/api/v1/users", "/api/v1/login"} {
				rec := httptest.NewRecorder()
				h.ServeHTTP(rec, httptest.NewRequest("POST", path, bytes.NewReader(body)))
				if rec.Code >= 500 {
					t.Fatalf("%s: POST %s %q: got %d %s", name, path, body, rec.Code, rec.Body)
				}
			}
		}
	})
}

// No id in the URL makes GET, PUT or DELETE /todos/{id} answer 5xx or panic.
func FuzzTodoID(f *testing.F) {
	for _, seed := range []string{"1", "undefined", "0", "-1", "1e3", "9223372036854775808", "０", " 1", "1/2", "%00", "null"} {
		f.Add(seed)
	}
	handlers := fuzzHandlers(f)
	f.Fuzz(func(t *testing.T, id string) {
		for name, h := range handlers {
			for _, method := range []string{"GET", "PUT", "DELETE"} {
				rec := httptest.NewRecorder()
				req := httptest.NewRequest(method, "/api/v1/todos/x", bytes.NewReader([]byte(`{"completed":true}`)))
				req.URL.Path = "/api/v1/todos/" + id
				req.URL.RawPath = "/api/v1/todos/" + url.PathEscape(id)
				h.ServeHTTP(rec, req)
				if rec.Code >= 500 {
					t.Fatalf("%s: %s /api/v1/todos/%q: got %d %s", name, method, id, rec.Code, rec.Body)
				}
			}
		}
	})
}
