package api

import (
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/go-chi/chi/v5"

	taskoverflow "github.com/taskoverflow-lab/taskoverflow"
)

// Fields a client may send; PUT also accepts an unchanged "id".
var todoFields = []string{"title", "description", "completed", "deadline_at"}

// maxWindowDays bounds ?window=N.
const maxWindowDays = 36500

// MaxPageLimit bounds ?limit=N.
const MaxPageLimit = 1000

// listTodos: GET /todos?completed=true|false&window=N, ordered by id; the
// whole list unless ?limit=N asks for a page, the one after ?after=ID. A full
// page carries a Link header to the next one.
func (h *handler) listTodos(w http.ResponseWriter, r *http.Request) {
	var f taskoverflow.TodoFilter
	q := r.URL.Query()
	if v := q.Get("completed"); v != "" {
		switch strings.ToLower(v) {
		case "true":
			f.Completed = ptr(true)
		case "false":
			f.Completed = ptr(false)
		default:
			h.writeError(w, r, taskoverflow.Errorf(taskoverflow.EINVALID, "completed must be true or false, not %s", strconv.Quote(v)))
			return
		}
	}
	if v := q.Get("window"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < -maxWindowDays || n > maxWindowDays {
			h.writeError(w, r, taskoverflow.Errorf(taskoverflow.EINVALID, "window must be a whole number of days (at most %d), not %s", maxWindowDays, strconv.Quote(v)))
			return
		}
		f.Window = &n
	}
	if v := q.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > MaxPageLimit {
			h.writeError(w, r, taskoverflow.Errorf(taskoverflow.EINVALID, "limit must be a whole number from 1 to %d, not %s", MaxPageLimit, strconv.Quote(v)))
			return
		}
		f.Limit = n
	}
	if v := q.Get("after"); v != "" {
		id, err := strconv.ParseInt(v, 10, 64)
		if err != nil || id < 0 {
			h.writeError(w, r, taskoverflow.Errorf(taskoverflow.EINVALID, "after must be the id of a todo (a whole number), not %s", strconv.Quote(v)))
			return
		}
		f.After = id
	}
	todos, err := h.Todos.ListTodos(r.Context(), f)
	if err != nil {
		h.writeError(w, r, err)
		return
	}
	if f.Limit > 0 && len(todos) == f.Limit {
		w.Header().Set("Link", "<"+nextPage(f, todos[len(todos)-1].ID)+`>; rel="next"`)
	}
	writeJSON(w, http.StatusOK, todos)
}

// nextPage is the URL of the page after the todo with id last, under f.
func nextPage(f taskoverflow.TodoFilter, last int64) string {
	q := url.Values{}
	q.Set("after", strconv.FormatInt(last, 10))
	q.Set("limit", strconv.Itoa(f.Limit))
	if f.Completed != nil {
		q.Set("completed", strconv.FormatBool(*f.Completed))
	}
	if f.Window != nil {
		q.Set("window", strconv.Itoa(*f.Window))
	}
	return "/api/v1/todos?" + q.Encode()
}

// getTodo: GET /todos/{id}: 200, or 404 also for ids that are not numbers.
func (h *handler) getTodo(w http.ResponseWriter, r *http.Request) {
	id, err := taskoverflow.ParseTodoID(chi.URLParam(r, "id"))
	if err != nil {
		h.writeError(w, r, err)
		return
	}
	todo, err := h.Todos.GetTodo(r.Context(), id)
	if err != nil {
		h.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, todo)
}

// createTodo: POST /todos: 201 with Location and the todo. With an
// Idempotency-Key, a retry within IDEMPOTENCY_WINDOW gets the first answer
// (marked Idempotent-Replayed: true) instead of a second todo.
func (h *handler) createTodo(w http.ResponseWriter, r *http.Request) {
	todo, err := decodeTodo(w, r)
	if err != nil {
		h.writeError(w, r, err)
		return
	}
	if keys, ok := r.Header[idempotencyHeader]; ok {
		var replayed bool
		todo, replayed, err = h.createTodoOnce(r.Context(), keys, todo)
		if replayed {
			w.Header().Set("Idempotent-Replayed", "true")
		}
	} else {
		todo, err = h.Todos.CreateTodo(r.Context(), todo)
	}
	if err != nil {
		h.writeError(w, r, err)
		return
	}
	w.Header().Set("Location", fmt.Sprintf("/api/v1/todos/%d", todo.ID))
	writeJSON(w, http.StatusCreated, todo)
}

// updateTodo: PUT /todos/{id}: sets the fields sent; 404 when missing.
func (h *handler) updateTodo(w http.ResponseWriter, r *http.Request) {
	id, err := taskoverflow.ParseTodoID(chi.URLParam(r, "id"))
	if err != nil {
		h.writeError(w, r, err)
		return
	}
	upd, err := decodeTodoUpdate(w, r, id)
	if err != nil {
		h.writeError(w, r, err)
		return
	}
	todo, err := h.Todos.UpdateTodo(r.Context(), id, upd)
	if err != nil {
		h.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, todo)
}

// deleteTodo: DELETE /todos/{id}: 200 with the deleted todo, or 200 {} when
// there was none, as the original API answers.
func (h *handler) deleteTodo(w http.ResponseWriter, r *http.Request) {
	id, err := taskoverflow.ParseTodoID(chi.URLParam(r, "id"))
	if err != nil {
		h.writeError(w, r, err)
		return
	}
	todo, err := h.Todos.DeleteTodo(r.Context(), id)
	switch {
	case taskoverflow.ErrorCode(err) == taskoverflow.ENOTFOUND:
		writeJSON(w, http.StatusOK, struct{}{})
	case err != nil:
		h.writeError(w, r, err)
	default:
		writeJSON(w, http.StatusOK, todo)
	}
}

// decodeTodo reads a new todo: title required; completed defaults to false,
// deadline_at to null.
func decodeTodo(w http.ResponseWriter, r *http.Request) (taskoverflow.Todo, error) {
	var t taskoverflow.Todo
	obj, err := decodeObject(w, r, todoFields...)
	if err != nil {
		return t, err
	}
	if !obj.has("title") {
		return t, taskoverflow.Errorf(taskoverflow.EINVALID, "title is required")
	}
	for _, err := range []error{
		obj.str("title", &t.Title, false),
		obj.str("description", &t.Description, true),
		obj.boolean("completed", &t.Completed),
		obj.localTime("deadline_at", &t.DeadlineAt),
	} {
		if err != nil {
			return t, err
		}
	}
	return t, t.Validate()
}

// decodeTodoUpdate reads the fields a PUT sets. An "id" may be sent only
// unchanged.
func decodeTodoUpdate(w http.ResponseWriter, r *http.Request, id int64) (taskoverflow.TodoUpdate, error) {
	var u taskoverflow.TodoUpdate
	obj, err := decodeObject(w, r, append([]string{"id"}, todoFields...)...)
	if err != nil {
		return u, err
	}
	if obj.has("id") && strings.TrimSpace(string(obj["id"])) != strconv.FormatInt(id, 10) {
		return u, taskoverflow.Errorf(taskoverflow.EINVALID, "id cannot be changed (the URL says %d, the body %s)", id, string(obj["id"]))
	}
	if obj.has("title") {
		u.Title = new(string)
		if err := obj.str("title", u.Title, false); err != nil {
			return u, err
		}
	}
	if obj.has("description") {
		u.Description = new(string)
		if err := obj.str("description", u.Description, true); err != nil {
			return u, err
		}
	}
	if obj.has("completed") {
		u.Completed = new(bool)
		if err := obj.boolean("completed", u.Completed); err != nil {
			return u, err
		}
	}
	if obj.has("deadline_at") {
		u.DeadlineSet = true
		if err := obj.localTime("deadline_at", &u.DeadlineAt); err != nil {
			return u, err
		}
	}
	return u, u.Validate()
}

func ptr[T any](v T) *T { return &v }
