package store

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
)

// roleLock is the advisory lock key that serialises EnsureAppRole when
// several tasks start at once.
const roleLock = 6400_0002

// EnsureAppRole makes name a login role with password (creating it, or setting
// its password when it exists), lets it connect to the database of url and
// create in its public schema, and grants it what it needs on the tables and
// sequences already there. The app then connects as name: it owns the tables
// its migrations create, and holds none of the master user's powers (it cannot
// create roles or databases). url and masterPassword are the master user's.
//
// It runs on a connection of its own, outside the pool and its SQL log, so the
// password never reaches a log line. It is safe to run again and from several
// processes at once. It returns an error when name is the master user itself
// or an existing superuser or role creator, and the server's error otherwise.
func EnsureAppRole(ctx context.Context, url, masterPassword, name, password string) error {
	if name == "" || password == "" {
		return errors.New("the app role needs a name and a password")
	}
	if strings.ContainsRune(password, 0) {
		return errors.New("DB_APP_PASSWORD must not contain a NUL character")
	}
	cc, err := pgx.ParseConfig(url)
	if err != nil {
		return fmt.Errorf("DATABASE_URL: %w", redactParseError(err))
	}
	if masterPassword != "" {
		cc.Password = masterPassword
	}
	if cc.ConnectTimeout == 0 {
		cc.ConnectTimeout = 5 * time.Second
	}
	if cc.User == name {
		return fmt.Errorf("DB_APP_USER=%q is the master user DATABASE_URL names; the app needs a role of its own", name)
	}
	conn, err := pgx.ConnectConfig(ctx, cc)
	if err != nil {
		return classify(err)
	}
	defer conn.Close(context.WithoutCancel(ctx))

	return pgx.BeginFunc(ctx, conn, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, "SELECT pg_advisory_xact_lock($1)", roleLock); err != nil {
			return err
		}
		var exists, super, createRole bool
		err := tx.QueryRow(ctx, "SELECT true, rolsuper, rolcreaterole FROM pg_roles WHERE rolname = $1", name).Scan(&exists, &super, &createRole)
		if err != nil && !errors.Is(err, pgx.ErrNoRows) {
			return err
		}
		if super || createRole {
			return fmt.Errorf("role %q exists and is a superuser or may create roles; the app's role must hold neither", name)
		}
		var db string
		if err := tx.QueryRow(ctx, "SELECT current_database()").Scan(&db); err != nil {
			return err
		}
		role := pgx.Identifier{name}.Sanitize()
		verb := "CREATE ROLE"
		if exists {
			verb = "ALTER ROLE"
		}
		// DDL takes no parameters: the password goes as an escaped E'' literal.
		for _, sql := range []string{
			verb + " " + role + " WITH LOGIN PASSWORD " + escapeLiteral(password),
			"GRANT CONNECT, TEMPORARY ON DATABASE " + pgx.Identifier{db}.Sanitize() + " TO " + role,
			"GRANT USAGE, CREATE ON SCHEMA public TO " + role,
			// Tables a master-run migration made before the app had a role.
			"GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO " + role,
			"GRANT USAGE, SELECT, UPDATE ON ALL SEQUENCES IN SCHEMA public TO " + role,
		} {
			if _, err := tx.Exec(ctx, sql); err != nil {
				// The statement is not in the error: it may hold the password.
				return fmt.Errorf("%s %s: %w", strings.Fields(sql)[0], name, err)
			}
		}
		return nil
	})
}

// escapeLiteral quotes s as a Postgres escape string literal, which means the
// same whatever standard_conforming_strings says.
func escapeLiteral(s string) string {
	s = strings.ReplaceAll(s, `\`, `\\`)
	s = strings.ReplaceAll(s, `'`, `''`)
	return "E'" + s + "'"
}
