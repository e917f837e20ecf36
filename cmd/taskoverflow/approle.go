package main

import (
	"context"
	"errors"
	"log/slog"
	"net/url"

	"github.com/taskoverflow-lab/taskoverflow/config"
	"github.com/taskoverflow-lab/taskoverflow/store"
)

// ensureAppRole, when DB_APP_USER is set, creates or updates the app's role
// as the master user of DATABASE_URL and returns the URL and password to
// migrate with: the app role's, so that it owns the tables it will use.
// Without DB_APP_USER it returns DATABASE_URL and DB_PASSWORD unchanged.
func ensureAppRole(ctx context.Context, cfg config.Config, log *slog.Logger) (dbURL, password string, err error) {
	if cfg.DBAppUser == "" {
		return cfg.DatabaseURL, cfg.DBPassword, nil
	}
	u, err := url.Parse(cfg.DatabaseURL)
	if err != nil || (u.Scheme != "postgres" && u.Scheme != "postgresql") {
		return "", "", errors.New("DB_APP_USER needs DATABASE_URL written as a postgres:// URL")
	}
	if err := store.EnsureAppRole(ctx, cfg.DatabaseURL, cfg.DBPassword, cfg.DBAppUser, cfg.DBAppPassword); err != nil {
		return "", "", err
	}
	log.Info("app database role ready", "role", cfg.DBAppUser)
	u.User = url.User(cfg.DBAppUser)
	return u.String(), cfg.DBAppPassword, nil
}
