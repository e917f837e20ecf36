package store

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"time"

	"github.com/jackc/pgx/v5"

	taskoverflow "github.com/taskoverflow-lab/taskoverflow"
)

// pruneBatch bounds how many expired keys one keyed create deletes.
const pruneBatch = 20

// CreateTodoOnce creates t under an idempotency key, in one transaction with
// the key, so a committed todo always has its key and a retry finds it. When
// key was used within window it creates nothing and returns the first answer
// with replayed set. It returns an ECONFLICT error when key was used for a
// request with another fingerprint (another body), and EUNAVAILABLE ones as
// CreateTodo does.
func (db *DB) CreateTodoOnce(ctx context.Context, key string, fingerprint []byte, t taskoverflow.Todo, window time.Duration) (todo taskoverflow.Todo, replayed bool, err error) {
	c, err := db.acquire(ctx)
	if err != nil {
		return todo, false, err
	}
	defer c.Release()
	err = pgx.BeginFunc(ctx, c, func(tx pgx.Tx) error {
		// A key past its window may be used afresh; prune a few others too.
		if _, err := tx.Exec(ctx, `DELETE FROM idempotency_keys
			WHERE created_at < now() - $2::interval AND (key = $1 OR key IN (
				SELECT key FROM idempotency_keys WHERE created_at < now() - $2::interval
				LIMIT $3 FOR UPDATE SKIP LOCKED))`, key, window, pruneBatch); err != nil {
			return err
		}
		// A concurrent request with the same key waits here for the first to
		// commit (or roll back) and then sees its row.
		tag, err := tx.Exec(ctx, `INSERT INTO idempotency_keys (key, fingerprint, status, body)
			VALUES ($1, $2, 0, 'null') ON CONFLICT (key) DO NOTHING`, key, fingerprint)
		if err != nil {
			return err
		}
		if tag.RowsAffected() == 0 {
			var first []byte
			var body []byte
			if err := tx.QueryRow(ctx, `SELECT fingerprint, body FROM idempotency_keys WHERE key = $1`, key).Scan(&first, &body); err != nil {
				return err
			}
			if !bytes.Equal(first, fingerprint) {
				return taskoverflow.Errorf(taskoverflow.ECONFLICT, "Idempotency-Key %q was used for a request with another body; use a new key for a new todo", key)
			}
			replayed = true
			return json.Unmarshal(body, &todo)
		}
		rows, _ := tx.Query(ctx, `INSERT INTO todos (title, description, completed, deadline_at)
			VALUES ($1, $2, $3, $4) RETURNING `+todoColumns,
			t.Title, t.Description, t.Completed, deadline(t.DeadlineAt))
		if todo, err = collectTodo(rows, 0); err != nil {
			return err
		}
		body, err := json.Marshal(todo)
		if err != nil {
			return err
		}
		_, err = tx.Exec(ctx, `UPDATE idempotency_keys SET status = $2, body = $3 WHERE key = $1`, key, http.StatusCreated, body)
		return err
	})
	var appErr *taskoverflow.Error
	if errors.As(err, &appErr) {
		return todo, false, err
	}
	return todo, replayed, classify(err)
}
