// Package storetest is the contract every todo and user store must keep. The
// Postgres store and the in-memory store both run it, so the in-memory one can
// stand in for Postgres in unit tests of the HTTP layer.
package storetest

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	taskoverflow "github.com/taskoverflow-lab/taskoverflow"
)

// Store is what the contract exercises.
type Store interface {
	ListTodos(ctx context.Context, f taskoverflow.TodoFilter) ([]taskoverflow.Todo, error)
	GetTodo(ctx context.Context, id int64) (taskoverflow.Todo, error)
	CreateTodo(ctx context.Context, t taskoverflow.Todo) (taskoverflow.Todo, error)
	UpdateTodo(ctx context.Context, id int64, u taskoverflow.TodoUpdate) (taskoverflow.Todo, error)
	DeleteTodo(ctx context.Context, id int64) (taskoverflow.Todo, error)
	CreateUser(ctx context.Context, username string, passwordHash []byte) (taskoverflow.User, error)
	UserByUsername(ctx context.Context, username string) (taskoverflow.User, error)
}

// Run runs the contract; open must return a new, empty store.
func Run(t *testing.T, open func(t *testing.T) Store) {
	t.Run("CreateGet", func(t *testing.T) { testCreateGet(t, open(t)) })
	t.Run("ListFilters", func(t *testing.T) { testListFilters(t, open(t)) })
	t.Run("Update", func(t *testing.T) { testUpdate(t, open(t)) })
	t.Run("Delete", func(t *testing.T) { testDelete(t, open(t)) })
	t.Run("Users", func(t *testing.T) { testUsers(t, open(t)) })
	t.Run("ListPaging", func(t *testing.T) { testListPaging(t, open(t)) })
	t.Run("ValidatedText", func(t *testing.T) { testValidatedText(t, open(t)) })
}

func ptr[T any](v T) *T { return &v }

func lt(s string) *taskoverflow.LocalTime {
	v, err := taskoverflow.ParseLocalTime(s)
	if err != nil {
		panic(err)
	}
	return &v
}

func mustCreate(t *testing.T, s Store, todo taskoverflow.Todo) taskoverflow.Todo {
	t.Helper()
	got, err := s.CreateTodo(context.Background(), todo)
	if err != nil {
		t.Fatalf("CreateTodo(%q): %v", todo.Title, err)
	}
	return got
}

func wantCode(t *testing.T, err error, code string) {
	t.Helper()
	if got := taskoverflow.ErrorCode(err); got != code {
		t.Fatalf("got error %v (code %q), want code %q", err, got, code)
	}
}

func testCreateGet(t *testing.T, s Store) {
	ctx := context.Background()
	before := time.Now().Add(-time.Second)
	created := mustCreate(t, s, taskoverflow.Todo{Title: "CSSE6400 Cloud Assignment", Description: "d", DeadlineAt: lt("2023-12-04T14:00:00")})
	if created.ID <= 0 {
		t.Fatalf("id: got %d, want > 0", created.ID)
	}
	if created.CreatedAt.Before(before) || created.UpdatedAt.Before(before) {
		t.Errorf("times: got created %v updated %v, want after %v", created.CreatedAt, created.UpdatedAt, before)
	}
	if created.DeadlineAt == nil || created.DeadlineAt.Format(taskoverflow.LocalTimeLayout) != "2023-12-04T14:00:00" {
		t.Errorf("deadline: got %v, want 2023-12-04T14:00:00", created.DeadlineAt)
	}
	got, err := s.GetTodo(ctx, created.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.Title != created.Title || got.Description != "d" || got.Completed || !got.CreatedAt.Equal(created.CreatedAt.Time) {
		t.Errorf("GetTodo: got %+v, want %+v", got, created)
	}
	second := mustCreate(t, s, taskoverflow.Todo{Title: "second"})
	if second.ID <= created.ID {
		t.Errorf("ids: got %d after %d, want increasing", second.ID, created.ID)
	}
	if second.DeadlineAt != nil {
		t.Errorf("deadline: got %v, want null by default", second.DeadlineAt)
	}
	_, err = s.GetTodo(ctx, second.ID+1000)
	wantCode(t, err, taskoverflow.ENOTFOUND)
}

func testListFilters(t *testing.T, s Store) {
	ctx := context.Background()
	now := time.Now().UTC()
	past := &taskoverflow.LocalTime{Time: now.Add(-48 * time.Hour).Truncate(time.Second)}
	soon := &taskoverflow.LocalTime{Time: now.Add(36 * time.Hour).Truncate(time.Second)}
	later := &taskoverflow.LocalTime{Time: now.Add(10 * 24 * time.Hour).Truncate(time.Second)}
	a := mustCreate(t, s, taskoverflow.Todo{Title: "past due", DeadlineAt: past})
	b := mustCreate(t, s, taskoverflow.Todo{Title: "soon", DeadlineAt: soon, Completed: true})
	c := mustCreate(t, s, taskoverflow.Todo{Title: "later", DeadlineAt: later})
	d := mustCreate(t, s, taskoverflow.Todo{Title: "no deadline"})

	tests := []struct {
		name string
		f    taskoverflow.TodoFilter
		want []int64
	}{
		{"all, ordered by id", taskoverflow.TodoFilter{}, []int64{a.ID, b.ID, c.ID, d.ID}},
		{"completed", taskoverflow.TodoFilter{Completed: ptr(true)}, []int64{b.ID}},
		{"not completed", taskoverflow.TodoFilter{Completed: ptr(false)}, []int64{a.ID, c.ID, d.ID}},
		// Past-due todos are in every window; todos without deadline in none.
		{"window 2 days", taskoverflow.TodoFilter{Window: ptr(2)}, []int64{a.ID, b.ID}},
		{"window 0 days", taskoverflow.TodoFilter{Window: ptr(0)}, []int64{a.ID}},
		{"window 30 days not completed", taskoverflow.TodoFilter{Window: ptr(30), Completed: ptr(false)}, []int64{a.ID, c.ID}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			todos, err := s.ListTodos(ctx, tt.f)
			if err != nil {
				t.Fatal(err)
			}
			var ids []int64
			for _, td := range todos {
				ids = append(ids, td.ID)
			}
			if len(ids) != len(tt.want) {
				t.Fatalf("got ids %v, want %v", ids, tt.want)
			}
			for i := range ids {
				if ids[i] != tt.want[i] {
					t.Fatalf("got ids %v, want %v", ids, tt.want)
				}
			}
		})
	}
}

func testUpdate(t *testing.T, s Store) {
	ctx := context.Background()
	orig := mustCreate(t, s, taskoverflow.Todo{Title: "CSSE6400 Clout Assignment", Description: "keep", DeadlineAt: lt("2023-12-04T14:00:00")})
	time.Sleep(5 * time.Millisecond) // let updated_at move on
	got, err := s.UpdateTodo(ctx, orig.ID, taskoverflow.TodoUpdate{Title: ptr("CSSE6400 Cloud Assignment"), Completed: ptr(true)})
	if err != nil {
		t.Fatal(err)
	}
	if got.Title != "CSSE6400 Cloud Assignment" || !got.Completed || got.Description != "keep" || got.DeadlineAt == nil {
		t.Errorf("partial update: got %+v, want title and completed changed, the rest kept", got)
	}
	if !got.UpdatedAt.After(orig.UpdatedAt.Time) || !got.CreatedAt.Equal(orig.CreatedAt.Time) {
		t.Errorf("times: got created %v updated %v, want created kept and updated later than %v", got.CreatedAt, got.UpdatedAt, orig.UpdatedAt)
	}
	got, err = s.UpdateTodo(ctx, orig.ID, taskoverflow.TodoUpdate{DeadlineSet: true})
	if err != nil {
		t.Fatal(err)
	}
	if got.DeadlineAt != nil {
		t.Errorf("deadline set to null: got %v", got.DeadlineAt)
	}
	_, err = s.UpdateTodo(ctx, orig.ID+1000, taskoverflow.TodoUpdate{Completed: ptr(true)})
	wantCode(t, err, taskoverflow.ENOTFOUND)
}

func testDelete(t *testing.T, s Store) {
	ctx := context.Background()
	todo := mustCreate(t, s, taskoverflow.Todo{Title: "mis-typed"})
	got, err := s.DeleteTodo(ctx, todo.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.ID != todo.ID || got.Title != "mis-typed" {
		t.Errorf("DeleteTodo: got %+v, want the deleted todo", got)
	}
	_, err = s.GetTodo(ctx, todo.ID)
	wantCode(t, err, taskoverflow.ENOTFOUND)
	_, err = s.DeleteTodo(ctx, todo.ID)
	wantCode(t, err, taskoverflow.ENOTFOUND)
}

func testUsers(t *testing.T, s Store) {
	ctx := context.Background()
	u, err := s.CreateUser(ctx, "studier", []byte("hash"))
	if err != nil {
		t.Fatal(err)
	}
	if u.ID <= 0 || u.Username != "studier" {
		t.Errorf("CreateUser: got %+v", u)
	}
	_, err = s.CreateUser(ctx, "studier", []byte("other"))
	wantCode(t, err, taskoverflow.ECONFLICT)
	got, err := s.UserByUsername(ctx, "studier")
	if err != nil {
		t.Fatal(err)
	}
	if got.ID != u.ID || string(got.PasswordHash) != "hash" {
		t.Errorf("UserByUsername: got %+v, want id %d with hash", got, u.ID)
	}
	_, err = s.UserByUsername(ctx, "planner")
	wantCode(t, err, taskoverflow.ENOTFOUND)
}

func testListPaging(t *testing.T, s Store) {
	ctx := context.Background()
	var ids, open []int64
	for i := 0; i < 5; i++ {
		td := mustCreate(t, s, taskoverflow.Todo{Title: fmt.Sprintf("todo %d", i), Completed: i%2 == 1})
		ids = append(ids, td.ID)
		if !td.Completed {
			open = append(open, td.ID)
		}
	}
	tests := []struct {
		name string
		f    taskoverflow.TodoFilter
		want []int64
	}{
		{"no limit is the whole list", taskoverflow.TodoFilter{}, ids},
		{"first page", taskoverflow.TodoFilter{Limit: 2}, ids[:2]},
		{"next page", taskoverflow.TodoFilter{After: ids[1], Limit: 2}, ids[2:4]},
		{"last, short page", taskoverflow.TodoFilter{After: ids[3], Limit: 2}, ids[4:]},
		{"after the last", taskoverflow.TodoFilter{After: ids[4], Limit: 2}, nil},
		{"after without limit", taskoverflow.TodoFilter{After: ids[2]}, ids[3:]},
		{"limit above the count", taskoverflow.TodoFilter{Limit: 1000}, ids},
		// The filter applies before the limit: a page is full when it can be.
		{"filtered page", taskoverflow.TodoFilter{Completed: ptr(false), Limit: 2}, open[:2]},
		{"filtered next page", taskoverflow.TodoFilter{Completed: ptr(false), After: open[1], Limit: 2}, open[2:]},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			todos, err := s.ListTodos(ctx, tt.f)
			if err != nil {
				t.Fatal(err)
			}
			got := []int64{}
			for _, td := range todos {
				got = append(got, td.ID)
			}
			if fmt.Sprint(got) != fmt.Sprint(append([]int64{}, tt.want...)) {
				t.Errorf("got ids %v, want %v", got, tt.want)
			}
		})
	}
}

// testValidatedText: whatever the domain's validation lets through, the store
// keeps and gives back unchanged; what it refuses never reaches the store.
// A text Postgres cannot hold (a NUL character) must be refused.
func testValidatedText(t *testing.T, s Store) {
	ctx := context.Background()
	texts := []string{
		"a\x00b", "\x00", "é漢字🙂", strings.Repeat("é", taskoverflow.MaxTitleLen), "\ufffd", "tab\tnew\nline\r",
		"'; DROP TABLE todos; --", "\u2028\u2029", `\u0000`, "\x7f\x01", "%s%d", "\u200b",
	}
	for _, text := range texts {
		todo := taskoverflow.Todo{Title: text, Description: text}
		if todo.Validate() != nil {
			continue
		}
		got, err := s.CreateTodo(ctx, todo)
		if err != nil {
			t.Errorf("CreateTodo(%q), which Validate accepts: %v", text, err)
			continue
		}
		if got.Title != text || got.Description != text {
			t.Errorf("CreateTodo(%q): stored title %q, description %q", text, got.Title, got.Description)
		}
		upd := taskoverflow.TodoUpdate{Title: ptr(text + "!"), Description: ptr(text)}
		if upd.Validate() != nil {
			continue
		}
		if got, err := s.UpdateTodo(ctx, got.ID, upd); err != nil || got.Title != text+"!" {
			t.Errorf("UpdateTodo(%q): got %q, %v", text, got.Title, err)
		}
	}
	for _, name := range append(texts, "studier") {
		if taskoverflow.ValidText("username", name) != nil {
			continue
		}
		_, err := s.UserByUsername(ctx, name)
		if code := taskoverflow.ErrorCode(err); code != taskoverflow.ENOTFOUND {
			t.Errorf("UserByUsername(%q), a valid text: got %v, want not found", name, err)
		}
	}
}
