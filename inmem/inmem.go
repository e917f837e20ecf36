// Package inmem keeps todos and users in memory. It keeps the same contract as
// the Postgres store (package storetest) and stands in for it in unit and fuzz
// tests of the HTTP layer; the server itself always uses Postgres.
package inmem

import (
	"context"
	"sort"
	"sync"
	"time"

	taskoverflow "github.com/taskoverflow-lab/taskoverflow"
)

// Store is an in-memory todo and user store, safe for concurrent use.
type Store struct {
	mu     sync.Mutex
	todos  map[int64]taskoverflow.Todo
	users  map[string]taskoverflow.User
	nextID int64
	now    func() time.Time
}

// New returns an empty store.
func New() *Store {
	return &Store{todos: map[int64]taskoverflow.Todo{}, users: map[string]taskoverflow.User{}, now: time.Now}
}

// ListTodos returns the todos f selects, ordered by id: those with an id
// above f.After, at most f.Limit of them (all when it is 0).
func (s *Store) ListTodos(_ context.Context, f taskoverflow.TodoFilter) ([]taskoverflow.Todo, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	todos := []taskoverflow.Todo{}
	for _, t := range s.todos {
		if t.ID <= f.After {
			continue
		}
		if f.Completed != nil && t.Completed != *f.Completed {
			continue
		}
		if f.Window != nil && (t.DeadlineAt == nil || t.DeadlineAt.After(s.now().AddDate(0, 0, *f.Window))) {
			continue
		}
		todos = append(todos, t)
	}
	sort.Slice(todos, func(i, j int) bool { return todos[i].ID < todos[j].ID })
	if f.Limit > 0 && len(todos) > f.Limit {
		todos = todos[:f.Limit]
	}
	return todos, nil
}

// GetTodo returns the todo with id, or an ENOTFOUND error.
func (s *Store) GetTodo(_ context.Context, id int64) (taskoverflow.Todo, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	t, ok := s.todos[id]
	if !ok {
		return t, notFound(id)
	}
	return t, nil
}

// CreateTodo stores t with a new id and times.
func (s *Store) CreateTodo(_ context.Context, t taskoverflow.Todo) (taskoverflow.Todo, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.nextID++
	t.ID = s.nextID
	t.CreatedAt = taskoverflow.LocalTime{Time: s.now().UTC()}
	t.UpdatedAt = t.CreatedAt
	s.todos[t.ID] = t
	return t, nil
}

// UpdateTodo sets the fields u holds, or returns an ENOTFOUND error.
func (s *Store) UpdateTodo(_ context.Context, id int64, u taskoverflow.TodoUpdate) (taskoverflow.Todo, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	t, ok := s.todos[id]
	if !ok {
		return t, notFound(id)
	}
	if u.Title != nil {
		t.Title = *u.Title
	}
	if u.Description != nil {
		t.Description = *u.Description
	}
	if u.Completed != nil {
		t.Completed = *u.Completed
	}
	if u.DeadlineSet {
		t.DeadlineAt = u.DeadlineAt
	}
	t.UpdatedAt = taskoverflow.LocalTime{Time: s.now().UTC()}
	s.todos[id] = t
	return t, nil
}

// DeleteTodo removes the todo and returns it, or an ENOTFOUND error.
func (s *Store) DeleteTodo(_ context.Context, id int64) (taskoverflow.Todo, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	t, ok := s.todos[id]
	if !ok {
		return t, notFound(id)
	}
	delete(s.todos, id)
	return t, nil
}

// CreateUser stores a user; an ECONFLICT error when the name is taken.
func (s *Store) CreateUser(_ context.Context, username string, hash []byte) (taskoverflow.User, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.users[username]; ok {
		return taskoverflow.User{}, taskoverflow.Errorf(taskoverflow.ECONFLICT, "username %q is taken", username)
	}
	s.nextID++
	u := taskoverflow.User{ID: s.nextID, Username: username, PasswordHash: hash, CreatedAt: taskoverflow.LocalTime{Time: s.now().UTC()}}
	s.users[username] = u
	return u, nil
}

// UserByUsername returns the user, or an ENOTFOUND error.
func (s *Store) UserByUsername(_ context.Context, username string) (taskoverflow.User, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	u, ok := s.users[username]
	if !ok {
		return u, taskoverflow.Errorf(taskoverflow.ENOTFOUND, "no user %q", username)
	}
	return u, nil
}

func notFound(id int64) error {
	return taskoverflow.Errorf(taskoverflow.ENOTFOUND, "todo %d not found", id)
}
