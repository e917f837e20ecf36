package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/taskoverflow-lab/taskoverflow/internal/backingtest"
)

// TestMigrateCreatesTheAppRole: `taskoverflow migrate` given the master's
// DATABASE_URL and DB_APP_USER/DB_APP_PASSWORD creates a login role with no
// master powers that owns the tables, updates its password when run again, and
// never logs the password. Against a real Postgres.
func TestMigrateCreatesTheAppRole(t *testing.T) {
	env := backingtest.ForTest(t)
	master := backingtest.FreshDatabase(t, env)
	var b [4]byte
	rand.Read(b[:])
	role := "app_" + hex.EncodeToString(b[:])
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	admin, err := pgx.Connect(ctx, master)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		admin.Exec(ctx, "DROP OWNED BY "+pgx.Identifier{role}.Sanitize())
		admin.Exec(ctx, "DROP ROLE IF EXISTS "+pgx.Identifier{role}.Sanitize())
		admin.Close(ctx)
	})

	migrate := func(password string) (string, error) {
		var out bytes.Buffer
		vars := map[string]string{"DATABASE_URL": master, "DB_APP_USER": role, "DB_APP_PASSWORD": password, "LOG_FORMAT": "json", "LOG_LEVEL": "debug"}
		err := run(ctx, []string{"migrate"}, func(k string) string { return vars[k] }, &out, &out)
		return out.String(), err
	}
	verifier := func() string {
		var v string
		if err := admin.QueryRow(ctx, "SELECT coalesce(rolpassword, '') FROM pg_authid WHERE rolname = $1", role).Scan(&v); err != nil {
			t.Fatalf("role %s: %v", role, err)
		}
		return v
	}

	first := `it's a \secret`
	logs, err := migrate(first)
	if err != nil {
		t.Fatalf("migrate: %v\n%s", err, logs)
	}
	if strings.Contains(logs, "secret") {
		t.Errorf("the app role's password is in the log:\n%s", logs)
	}
	var super, createRole, createDB, login bool
	if err := admin.QueryRow(ctx, "SELECT rolsuper, rolcreaterole, rolcreatedb, rolcanlogin FROM pg_roles WHERE rolname = $1", role).
		Scan(&super, &createRole, &createDB, &login); err != nil {
		t.Fatal(err)
	}
	if super || createRole || createDB || !login {
		t.Errorf("role %s: superuser %v createrole %v createdb %v login %v, want a plain login role", role, super, createRole, createDB, login)
	}
	for _, table := range []string{"todos", "users", "schema_migrations"} {
		var owner string
		if err := admin.QueryRow(ctx, "SELECT tableowner FROM pg_tables WHERE schemaname = 'public' AND tablename = $1", table).Scan(&owner); err != nil {
			t.Fatalf("table %s: %v", table, err)
		}
		if owner != role {
			t.Errorf("table %s owner: got %s, want the app role %s", table, owner, role)
		}
	}
	v1 := verifier()
	if !strings.HasPrefix(v1, "SCRAM-SHA-256$") && !strings.HasPrefix(v1, "md5") {
		t.Errorf("role %s password: got verifier %.20q, want a stored password", role, v1)
	}

	// As the app role: the API's statements work, a master's power does not.
	u, _ := url.Parse(master)
	u.User = url.UserPassword(role, first)
	app, err := pgx.Connect(ctx, u.String())
	if err != nil {
		t.Fatalf("connect as %s: %v", role, err)
	}
	defer app.Close(ctx)
	if _, err := app.Exec(ctx, "INSERT INTO todos (title) VALUES ('as the app')"); err != nil {
		t.Errorf("insert as the app role: %v", err)
	}
	if _, err := app.Exec(ctx, "CREATE ROLE intruder"); err == nil || !strings.Contains(err.Error(), "permission denied") {
		t.Errorf("CREATE ROLE as the app role: got %v, want permission denied", err)
	}

	// The server runs as the app role, as the ECS task's app container does after migrate.
	u.User = url.User(role)
	p := startAPI(t, env, map[string]string{"DATABASE_URL": u.String(), "DB_PASSWORD": first})
	c := &http.Client{Timeout: 10 * time.Second}
	if r := call(t, c, "POST", p.URL+"/api/v1/todos", `{"title":"served by the app role"}`); r.status != http.StatusCreated {
		t.Errorf("POST /todos served as the app role: got %d %s, want 201", r.status, r.raw)
	}

	// Run again, as every task start does: nothing applied, the new password set.
	if logs, err := migrate("a new one"); err != nil {
		t.Fatalf("migrate again: %v\n%s", err, logs)
	}
	if verifier() == v1 {
		t.Error("migrate with a new DB_APP_PASSWORD left the old password")
	}
}

func TestMigrateRefusesTheMasterAsAppRole(t *testing.T) {
	env := backingtest.ForTest(t)
	master := backingtest.FreshDatabase(t, env)
	u, _ := url.Parse(master)
	vars := map[string]string{"DATABASE_URL": master, "DB_APP_USER": u.User.Username(), "DB_APP_PASSWORD": "whatever1"}
	var out bytes.Buffer
	err := run(context.Background(), []string{"migrate"}, func(k string) string { return vars[k] }, &out, &out)
	if err == nil || !strings.Contains(err.Error(), "is the master user") {
		t.Fatalf("got %v, want a refusal naming the master user", err)
	}
}
