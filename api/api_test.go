package api_test

import (
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/taskoverflow-lab/taskoverflow/api"
)

// TestTodos walks the original API's status codes and bodies, in order.
func TestTodos(t *testing.T) {
	s := newStack(t)
	c := newClient(t)
	url := s.URL + "/api/v1/todos"

	created := do(t, c, "POST", url, `{"title":"CSSE6400 Clout Assignment","completed":false,"description":"","deadline_at":"2023-12-04T14:00:00"}`, "")
	if created.status != http.StatusCreated {
		t.Fatalf("POST: got %d %s, want 201", created.status, created.body)
	}
	todo := created.json(t)
	id := int(todo["id"].(float64))
	if loc := created.header.Get("Location"); loc != fmt.Sprintf("/api/v1/todos/%d", id) {
		t.Errorf("Location: got %q, want /api/v1/todos/%d", loc, id)
	}
	if todo["deadline_at"] != "2023-12-04T14:00:00" || todo["completed"] != false || todo["title"] != "CSSE6400 Clout Assignment" {
		t.Errorf("POST body: got %s", created.body)
	}
	defaults := do(t, c, "POST", url, `{"title":"only a title"}`, "").json(t)
	if defaults["completed"] != false || defaults["deadline_at"] != nil || defaults["description"] != "" {
		t.Errorf("defaults: got %v, want completed false, deadline null, description empty", defaults)
	}
	zoned := do(t, c, "POST", url, `{"title":"zoned","deadline_at":"2023-12-05T00:00:00+10:00"}`, "").json(t)
	if zoned["deadline_at"] != "2023-12-04T14:00:00" {
		t.Errorf("RFC 3339 deadline: got %v, want it in UTC, 2023-12-04T14:00:00", zoned["deadline_at"])
	}

	tests := []struct {
		name     string
		method   string
		path     string // below /api/v1
		body     string
		status   int
		contains string // in the body
	}{
		{"list", "GET", "/todos", "", 200, `"title":"CSSE6400 Clout Assignment"`},
		{"list completed filter", "GET", "/todos?completed=true", "", 200, `[]`},
		{"list bad completed", "GET", "/todos?completed=maybe", "", 400, `completed must be true or false`},
		{"list bad window", "GET", "/todos?window=soon", "", 400, `window must be a whole number`},
		{"get", "GET", fmt.Sprintf("/todos/%d", id), "", 200, `"id":` + fmt.Sprint(id)},
		{"get missing", "GET", "/todos/999999", "", 404, `todo 999999 not found`},
		// The practical's script bug: the id read from the wrong place.
		{"get undefined", "GET", "/todos/undefined", "", 404, `\"undefined\"`},
		{"delete undefined", "DELETE", "/todos/undefined", "", 404, `\"undefined\"`},
		{"delete missing", "DELETE", "/todos/999999", "", 200, `{}`},
		{"create no title", "POST", "/todos", `{"description":"x"}`, 400, `title is required`},
		{"create empty title", "POST", "/todos", `{"title":""}`, 400, `title is required`},
		{"create long title", "POST", "/todos", `{"title":"` + strings.Repeat("é", 81) + `"}`, 400, `title is 81 characters`},
		{"create long description", "POST", "/todos", `{"title":"t","description":"` + strings.Repeat("d", 121) + `"}`, 400, `description is 121 characters`},
		{"create unknown field", "POST", "/todos", `{"title":"t","priority":1}`, 400, `unknown field \"priority\"`},
		{"create id field", "POST", "/todos", `{"title":"t","id":5}`, 400, `unknown field \"id\"`},
		{"create wrong type", "POST", "/todos", `{"title":"t","completed":"yes"}`, 400, `\"completed\" must be true or false`},
		{"create title number", "POST", "/todos", `{"title":7}`, 400, `\"title\" must be a string`},
		{"create bad deadline", "POST", "/todos", `{"title":"t","deadline_at":"next week"}`, 400, `\"deadline_at\"`},
		{"create malformed", "POST", "/todos", `{"title":`, 400, `malformed JSON`},
		{"create trailing data", "POST", "/todos", `{"title":"t"} {}`, 400, `unexpected data after the object`},
		{"create array", "POST", "/todos", `[{"title":"t"}]`, 400, `must be a JSON object`},
		{"create empty body", "POST", "/todos", ``, 400, `the body is empty`},
		{"create too large", "POST", "/todos", `{"title":"t","description":"` + strings.Repeat("x", 1<<20) + `"}`, 413, `over 1048576 bytes`},
		{"update", "PUT", fmt.Sprintf("/todos/%d", id), `{"title":"CSSE6400 Cloud Assignment","completed":true}`, 200, `"title":"CSSE6400 Cloud Assignment"`},
		{"update same id", "PUT", fmt.Sprintf("/todos/%d", id), fmt.Sprintf(`{"id":%d,"description":"fixed"}`, id), 200, `"description":"fixed"`},
		{"update id change", "PUT", fmt.Sprintf("/todos/%d", id), `{"id":424242}`, 400, `id cannot be changed`},
		{"update unknown field", "PUT", fmt.Sprintf("/todos/%d", id), `{"owner":"me"}`, 400, `unknown field \"owner\"`},
		{"update missing", "PUT", "/todos/999999", `{"completed":true}`, 404, `todo 999999 not found`},
		{"update empty title", "PUT", fmt.Sprintf("/todos/%d", id), `{"title":""}`, 400, `title must not be empty`},
		{"list completed after update", "GET", "/todos?completed=true", "", 200, `"completed":true`},
		{"unknown route", "GET", "/nothing", "", 404, `no route GET /api/v1/nothing`},
		{"wrong method", "PATCH", fmt.Sprintf("/todos/%d", id), `{}`, 405, `method PATCH is not allowed`},
		{"delete", "DELETE", fmt.Sprintf("/todos/%d", id), "", 200, `"id":` + fmt.Sprint(id)},
		{"get deleted", "GET", fmt.Sprintf("/todos/%d", id), "", 404, `not found`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := do(t, c, tt.method, s.URL+"/api/v1"+tt.path, tt.body, "")
			if r.status != tt.status {
				t.Fatalf("got %d %s, want %d", r.status, r.body, tt.status)
			}
			if !strings.Contains(string(r.body), tt.contains) {
				t.Errorf("body: got %s, want it to contain %s", r.body, tt.contains)
			}
			if ct := r.header.Get("Content-Type"); ct != "application/json" {
				t.Errorf("Content-Type: got %q, want application/json", ct)
			}
			if r.status >= 400 {
				if got, want := r.json(t)["request_id"], r.header.Get("X-Request-ID"); got != want || want == "" {
					t.Errorf("request_id: got %v in the body, %q in the header; want the same, non-empty", got, want)
				}
			}
		})
	}
}

func TestHealthAndReady(t *testing.T) {
	s := newStack(t)
	c := newClient(t)
	if r := do(t, c, "GET", s.URL+"/api/v1/health", "", ""); r.status != 200 || string(r.body) != "{\"status\":\"ok\"}\n" {
		t.Errorf("health: got %d %q, want 200 {\"status\":\"ok\"}", r.status, r.body)
	}
	r := do(t, c, "GET", s.URL+"/api/v1/ready", "", "")
	if m := r.json(t); r.status != 200 || m["postgres"] != "ok" || m["redis"] != "ok" {
		t.Errorf("ready: got %d %s, want 200 with postgres and redis ok", r.status, r.body)
	}
}

func TestRequestIDHonouredOrMade(t *testing.T) {
	s := newStack(t)
	c := newClient(t)
	tests := []struct {
		name, sent string
		kept       bool
	}{
		{"well-formed id kept", "load-7f3a.42:x_y", true},
		{"none sent", "", false},
		{"id with spaces replaced", "a b", false},
		{"id too long replaced", strings.Repeat("a", 129), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := do(t, c, "GET", s.URL+"/api/v1/todos/0", "", tt.sent).header.Get("X-Request-ID")
			if tt.kept && got != tt.sent {
				t.Errorf("got %q, want %q echoed", got, tt.sent)
			}
			if !tt.kept && (got == "" || got == tt.sent || len(got) != 36) {
				t.Errorf("got %q, want a new UUID", got)
			}
		})
	}
}

func TestUsersAndSessions(t *testing.T) {
	s := newStack(t)
	c := newClient(t)
	v1 := s.URL + "/api/v1"
	if r := do(t, c, "GET", v1+"/me", "", ""); r.status != 401 {
		t.Fatalf("me without session: got %d, want 401", r.status)
	}
	r := do(t, c, "POST", v1+"/users", `{"username":"studier1","password":"correct horse"}`, "")
	if m := r.json(t); r.status != 201 || m["username"] != "studier1" || m["password_hash"] != nil {
		t.Fatalf("register: got %d %s, want 201 without the hash", r.status, r.body)
	}
	tests := []struct {
		name, path, body string
		status           int
		contains         string
	}{
		{"taken", "/users", `{"username":"studier1","password":"another one"}`, 409, `username \"studier1\" is taken`},
		{"short password", "/users", `{"username":"studier2","password":"short"}`, 400, `password must be 8 to 72 bytes`},
		{"bad username", "/users", `{"username":"a b","password":"long enough"}`, 400, `username must be`},
		{"no password", "/users", `{"username":"studier3"}`, 400, `password is required`},
		{"extra field", "/users", `{"username":"studier3","password":"long enough","admin":true}`, 400, `unknown field \"admin\"`},
		{"wrong password", "/login", `{"username":"studier1","password":"wrong horse"}`, 401, `wrong username or password`},
		{"unknown user", "/login", `{"username":"nobody","password":"wrong horse"}`, 401, `wrong username or password`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := do(t, c, "POST", v1+tt.path, tt.body, "")
			if r.status != tt.status || !strings.Contains(string(r.body), tt.contains) {
				t.Errorf("got %d %s, want %d containing %s", r.status, r.body, tt.status, tt.contains)
			}
		})
	}
	r = do(t, c, "POST", v1+"/login", `{"username":"studier1","password":"correct horse"}`, "")
	if r.status != 200 {
		t.Fatalf("login: got %d %s", r.status, r.body)
	}
	cookie := r.header.Get("Set-Cookie")
	for _, want := range []string{api.SessionCookie + "=", "HttpOnly", "SameSite=Lax", "Path=/"} {
		if !strings.Contains(cookie, want) {
			t.Errorf("Set-Cookie %q: want %s", cookie, want)
		}
	}
	if r := do(t, c, "GET", v1+"/me", "", ""); r.status != 200 || r.json(t)["username"] != "studier1" {
		t.Errorf("me with session: got %d %s", r.status, r.body)
	}
	if r := do(t, c, "POST", v1+"/logout", "", ""); r.status != 200 {
		t.Errorf("logout: got %d %s", r.status, r.body)
	}
	if r := do(t, c, "GET", v1+"/me", "", ""); r.status != 401 {
		t.Errorf("me after logout: got %d, want 401", r.status)
	}
}
