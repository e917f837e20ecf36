package store

import (
	"context"
	"errors"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	taskoverflow "github.com/taskoverflow-lab/taskoverflow"
)

// CreateUser stores a new user; an ECONFLICT error when the username is taken.
func (db *DB) CreateUser(ctx context.Context, username string, passwordHash []byte) (taskoverflow.User, error) {
	c, err := db.acquire(ctx)
	if err != nil {
		return taskoverflow.User{}, err
	}
	defer c.Release()
	rows, _ := c.Query(ctx, `INSERT INTO users (username, password_hash) VALUES ($1, $2)
		RETURNING id, username, password_hash, created_at`, username, passwordHash)
	u, err := pgx.CollectExactlyOneRow(rows, scanUser)
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) && pgErr.Code == "23505" {
		return u, taskoverflow.Errorf(taskoverflow.ECONFLICT, "username %q is taken", username)
	}
	return u, classify(err)
}

// UserByUsername returns the user, or an ENOTFOUND error.
func (db *DB) UserByUsername(ctx context.Context, username string) (taskoverflow.User, error) {
	c, err := db.acquire(ctx)
	if err != nil {
		return taskoverflow.User{}, err
	}
	defer c.Release()
	rows, _ := c.Query(ctx, `SELECT id, username, password_hash, created_at FROM users WHERE username = $1`, username)
	u, err := pgx.CollectExactlyOneRow(rows, scanUser)
	if errors.Is(err, pgx.ErrNoRows) {
		return u, taskoverflow.Errorf(taskoverflow.ENOTFOUND, "no user %q", username)
	}
	return u, classify(err)
}

func scanUser(row pgx.CollectableRow) (taskoverflow.User, error) {
	var u taskoverflow.User
	err := row.Scan(&u.ID, &u.Username, &u.PasswordHash, &u.CreatedAt.Time)
	return u, err
}
