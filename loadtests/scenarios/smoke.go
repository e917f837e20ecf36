package scenarios

import (
	"bytes"
	"net/http"
	"strconv"
	"strings"

	"github.com/taskoverflow-lab/taskoverflow/loadtests"
)

var smoke = Bundled{
	Name:  "smoke",
	Story: "one VU calls every endpoint once and checks the bodies, not only the status codes",
	build: buildSmoke,
}

// smokeTodo is a todo as the API returns it.
type smokeTodo struct {
	ID          int64   `json:"id"`
	Title       string  `json:"title"`
	Description string  `json:"description"`
	Completed   bool    `json:"completed"`
	DeadlineAt  *string `json:"deadline_at"`
	CreatedAt   string  `json:"created_at"`
	UpdatedAt   string  `json:"updated_at"`
}

// apiError is the body of every error the API returns.
type apiError struct {
	Error     string `json:"error"`
	RequestID string `json:"request_id"`
}

func buildSmoke(p Params) loadtests.Plan {
	title := "smoke " + p.RunID
	username := "smoke-" + p.RunID
	password := "smoke-password-" + p.RunID

	run := func(vu *loadtests.VU) error {
		var status struct {
			Status string `json:"status"`
		}
		r := vu.Get("/api/v1/health")
		vu.Check("health says ok", r.Status == 200 && r.JSON(&status) == nil && status.Status == "ok")
		vu.Check("the request id is echoed", r.Header.Get(loadtests.RequestIDHeader) == r.RequestID)
		r = vu.Get("/api/v1/ready")
		vu.Check("ready says ok", r.Status == 200 && r.JSON(&status) == nil && status.Status == "ok")

		// Create, read, list, update, delete one todo.
		r = vu.Post("/api/v1/todos", map[string]any{
			"title": title, "description": "checks every endpoint", "deadline_at": "2023-12-04T14:00:00",
		})
		var created smokeTodo
		ok := r.Status == http.StatusCreated && r.JSON(&created) == nil
		vu.Check("POST todo: 201 with the todo", ok && created.ID > 0 && created.Title == title &&
			created.Description == "checks every endpoint" && !created.Completed &&
			created.DeadlineAt != nil && *created.DeadlineAt == "2023-12-04T14:00:00" && created.CreatedAt != "")
		id := strconv.FormatInt(created.ID, 10)
		vu.Check("POST todo: Location names it", r.Header.Get("Location") == "/api/v1/todos/"+id)
		byID := loadtests.Name("GET /api/v1/todos/{id}")

		r = vu.Get("/api/v1/todos/"+id, byID)
		var got smokeTodo
		vu.Check("GET todo: the same todo", r.Status == 200 && r.JSON(&got) == nil && got.ID == created.ID && got.Title == title)

		r = vu.Get("/api/v1/todos")
		vu.Check("GET todos: lists it", r.Status == 200 && listHas(r, created.ID))
		r = vu.Get("/api/v1/todos?completed=false", loadtests.Name("GET /api/v1/todos?completed=false"))
		vu.Check("GET todos?completed=false: lists it", r.Status == 200 && listHas(r, created.ID))

		r = vu.Put("/api/v1/todos/"+id, map[string]any{"completed": true}, loadtests.Name("PUT /api/v1/todos/{id}"))
		var updated smokeTodo
		vu.Check("PUT todo: completed, title kept", r.Status == 200 && r.JSON(&updated) == nil && updated.Completed && updated.Title == title)
		r = vu.Get("/api/v1/todos?completed=true", loadtests.Name("GET /api/v1/todos?completed=true"))
		vu.Check("GET todos?completed=true: lists it", r.Status == 200 && listHas(r, created.ID))

		r = vu.Put("/api/v1/todos/"+id, map[string]any{"colour": "red"}, loadtests.Name("PUT /api/v1/todos/{id}"), loadtests.Expect(http.StatusBadRequest))
		vu.Check("PUT todo with an unknown field: 400", isError(r, http.StatusBadRequest, "colour"))
		r = vu.Post("/api/v1/todos", map[string]any{"description": "no title"}, loadtests.Expect(http.StatusBadRequest))
		vu.Check("POST todo without a title: 400", isError(r, http.StatusBadRequest, "title"))
		r = vu.Get("/api/v1/todos/undefined", byID, loadtests.Expect(http.StatusNotFound))
		vu.Check("GET todos/undefined: 404 naming it", isError(r, http.StatusNotFound, "undefined"))

		del := loadtests.Name("DELETE /api/v1/todos/{id}")
		r = vu.Delete("/api/v1/todos/"+id, del)
		var deleted smokeTodo
		vu.Check("DELETE todo: 200 with the todo", r.Status == 200 && r.JSON(&deleted) == nil && deleted.ID == created.ID)
		r = vu.Delete("/api/v1/todos/"+id, del)
		vu.Check("DELETE it again: 200 {}", r.Status == 200 && string(bytes.TrimSpace(r.Body)) == "{}")
		r = vu.Get("/api/v1/todos/"+id, byID, loadtests.Expect(http.StatusNotFound))
		vu.Check("GET deleted todo: 404", isError(r, http.StatusNotFound, ""))

		// Register, log in, who am I, log out.
		creds := map[string]string{"username": username, "password": password}
		var user struct {
			ID       int64  `json:"id"`
			Username string `json:"username"`
		}
		r = vu.Post("/api/v1/users", creds)
		vu.Check("POST users: 201 with the user", r.Status == http.StatusCreated && r.JSON(&user) == nil && user.Username == username && user.ID > 0)
		r = vu.Post("/api/v1/users", creds, loadtests.Expect(http.StatusConflict))
		vu.Check("POST users again: 409", isError(r, http.StatusConflict, ""))
		r = vu.Post("/api/v1/login", map[string]string{"username": username, "password": "wrong-password"}, loadtests.Expect(http.StatusUnauthorized))
		vu.Check("login with a wrong password: 401", isError(r, http.StatusUnauthorized, ""))
		r = vu.Get("/api/v1/me", loadtests.Expect(http.StatusUnauthorized))
		vu.Check("me before login: 401", isError(r, http.StatusUnauthorized, ""))
		r = vu.Post("/api/v1/login", creds)
		vu.Check("login: 200 with the session cookie", r.Status == 200 && r.JSON(&user) == nil && user.Username == username &&
			strings.Contains(r.Header.Get("Set-Cookie"), "taskoverflow_session="))
		r = vu.Get("/api/v1/me")
		vu.Check("me after login: the user", r.Status == 200 && r.JSON(&user) == nil && user.Username == username)
		r = vu.Post("/api/v1/logout", nil)
		vu.Check("logout: 200", r.Status == 200)
		r = vu.Get("/api/v1/me", loadtests.Expect(http.StatusUnauthorized))
		vu.Check("me after logout: 401", isError(r, http.StatusUnauthorized, ""))

		// Behind the AWS load balancer /metrics is on METRICS_ADDR, which it does not route: 404.
		r = vu.Get("/metrics")
		vu.Check("metrics: Prometheus text with request counts, or 404 where it has a port of its own",
			(r.Status == 200 && bytes.Contains(r.Body, []byte("http_requests_total"))) || r.Status == http.StatusNotFound)
		return nil
	}
	return loadtests.Plan{
		Scenarios: []loadtests.Scenario{{
			Name:     "smoke",
			Executor: loadtests.PerVUIterations{VUs: 1, Iterations: 1},
			User:     loadtests.Func("every endpoint", run),
		}},
		// Every 4xx it asks for is declared with Expect, so a passing run
		// fails no request.
		Thresholds: []string{"checks==1", "http_req_failed==0"},
	}
}

// listHas tells whether a todo list response holds the todo id.
func listHas(r *loadtests.Response, id int64) bool {
	var todos []smokeTodo
	if r.JSON(&todos) != nil {
		return false
	}
	for _, t := range todos {
		if t.ID == id {
			return true
		}
	}
	return false
}

// isError tells whether r is the API's JSON error with the status, the
// request id it was sent with, and a message containing mention.
func isError(r *loadtests.Response, status int, mention string) bool {
	var e apiError
	return r.Status == status && r.JSON(&e) == nil && e.Error != "" &&
		e.RequestID == r.RequestID && strings.Contains(e.Error, mention)
}
