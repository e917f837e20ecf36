package store

import (
	"context"
	"errors"
	"time"

	"github.com/jackc/pgx/v5"

	taskoverflow "github.com/taskoverflow-lab/taskoverflow"
)

const todoColumns = "id, title, description, completed, deadline_at, created_at, updated_at"

// ListTodos returns the todos f selects, ordered by id: those with an id
// above f.After, at most f.Limit of them (all when it is 0), a keyset page
// the primary key's index serves.
func (db *DB) ListTodos(ctx context.Context, f taskoverflow.TodoFilter) ([]taskoverflow.Todo, error) {
	var limit *int // LIMIT NULL is no limit
	if f.Limit > 0 {
		limit = &f.Limit
	}
	c, err := db.acquire(ctx)
	if err != nil {
		return nil, err
	}
	defer c.Release()
	rows, err := c.Query(ctx, `SELECT `+todoColumns+` FROM todos
		WHERE ($1::boolean IS NULL OR completed = $1)
		  AND ($2::int IS NULL OR deadline_at <= now() + make_interval(days => $2))
		  AND id > $3
		ORDER BY id
		LIMIT $4`, f.Completed, f.Window, f.After, limit)
	if err != nil {
		return nil, classify(err)
	}
	todos, err := pgx.CollectRows(rows, scanTodo)
	if err != nil {
		return nil, classify(err)
	}
	if todos == nil {
		todos = []taskoverflow.Todo{}
	}
	return todos, nil
}

// GetTodo returns the todo with id, or an ENOTFOUND error.
func (db *DB) GetTodo(ctx context.Context, id int64) (taskoverflow.Todo, error) {
	c, err := db.acquire(ctx)
	if err != nil {
		return taskoverflow.Todo{}, err
	}
	defer c.Release()
	rows, _ := c.Query(ctx, `SELECT `+todoColumns+` FROM todos WHERE id = $1`, id)
	return collectTodo(rows, id)
}

// CreateTodo inserts t (its id and times are set by the database) and returns it as stored.
func (db *DB) CreateTodo(ctx context.Context, t taskoverflow.Todo) (taskoverflow.Todo, error) {
	c, err := db.acquire(ctx)
	if err != nil {
		return taskoverflow.Todo{}, err
	}
	defer c.Release()
	rows, _ := c.Query(ctx, `INSERT INTO todos (title, description, completed, deadline_at)
		VALUES ($1, $2, $3, $4) RETURNING `+todoColumns,
		t.Title, t.Description, t.Completed, deadline(t.DeadlineAt))
	return collectTodo(rows, 0)
}

// UpdateTodo sets the fields u holds and returns the todo as stored, or an ENOTFOUND error.
func (db *DB) UpdateTodo(ctx context.Context, id int64, u taskoverflow.TodoUpdate) (taskoverflow.Todo, error) {
	c, err := db.acquire(ctx)
	if err != nil {
		return taskoverflow.Todo{}, err
	}
	defer c.Release()
	rows, _ := c.Query(ctx, `UPDATE todos SET
		title = COALESCE($2, title),
		description = COALESCE($3, description),
		completed = COALESCE($4, completed),
		deadline_at = CASE WHEN $5 THEN $6 ELSE deadline_at END,
		updated_at = now()
		WHERE id = $1 RETURNING `+todoColumns,
		id, u.Title, u.Description, u.Completed, u.DeadlineSet, deadline(u.DeadlineAt))
	return collectTodo(rows, id)
}

// DeleteTodo deletes the todo with id and returns it, or an ENOTFOUND error.
func (db *DB) DeleteTodo(ctx context.Context, id int64) (taskoverflow.Todo, error) {
	c, err := db.acquire(ctx)
	if err != nil {
		return taskoverflow.Todo{}, err
	}
	defer c.Release()
	rows, _ := c.Query(ctx, `DELETE FROM todos WHERE id = $1 RETURNING `+todoColumns, id)
	return collectTodo(rows, id)
}

func collectTodo(rows pgx.Rows, id int64) (taskoverflow.Todo, error) {
	t, err := pgx.CollectExactlyOneRow(rows, scanTodo)
	if errors.Is(err, pgx.ErrNoRows) {
		return t, taskoverflow.Errorf(taskoverflow.ENOTFOUND, "todo %d not found", id)
	}
	return t, classify(err)
}

func scanTodo(row pgx.CollectableRow) (taskoverflow.Todo, error) {
	var t taskoverflow.Todo
	var deadlineAt *time.Time
	err := row.Scan(&t.ID, &t.Title, &t.Description, &t.Completed, &deadlineAt, &t.CreatedAt.Time, &t.UpdatedAt.Time)
	if deadlineAt != nil {
		t.DeadlineAt = &taskoverflow.LocalTime{Time: deadlineAt.UTC()}
	}
	return t, err
}

func deadline(t *taskoverflow.LocalTime) *time.Time {
	if t == nil {
		return nil
	}
	return &t.Time
}
