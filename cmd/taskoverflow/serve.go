package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"golang.org/x/sync/errgroup"

	"github.com/taskoverflow-lab/taskoverflow/api"
	"github.com/taskoverflow-lab/taskoverflow/config"
	"github.com/taskoverflow-lab/taskoverflow/internal/backing"
	"github.com/taskoverflow-lab/taskoverflow/internal/cli"
	"github.com/taskoverflow-lab/taskoverflow/logging"
	"github.com/taskoverflow-lab/taskoverflow/session"
	"github.com/taskoverflow-lab/taskoverflow/store"
)

// startupWait bounds how long serve and migrate wait for Postgres to answer.
const startupWait = 60 * time.Second

// setup reads the configuration and makes the logger.
func setup(getenv func(string) string, stdout io.Writer) (config.Config, *slog.Logger, error) {
	cfg, err := config.Load(getenv)
	if err != nil {
		return cfg, nil, fmt.Errorf("configuration:\n%w", err)
	}
	return cfg, logging.New(stdout, cfg.LogFormat, cfg.LogLevel, cli.IsTerminal(stdout)), nil
}

func serve(ctx context.Context, args []string, getenv func(string) string, stdout io.Writer) error {
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	backingDir := fs.String("backing-dir", "", "start Postgres and Redis from local binaries with their data in `DIR`, unless DATABASE_URL and REDIS_URL are set")
	if err := fs.Parse(args); err != nil {
		return usageError{fmt.Sprintf("serve: %v\n%s", err, usage)}
	}
	cfg, log, err := setup(getenv, stdout)
	if err != nil {
		return err
	}

	if *backingDir != "" && (getenv("DATABASE_URL") == "" || getenv("REDIS_URL") == "") {
		dir, err := dataDir(*backingDir)
		if err != nil {
			return err
		}
		log.Info("starting Postgres and Redis", "dir", dir)
		env, err := backing.Start(ctx, backing.Options{Dir: dir, Logger: log, Getenv: getenv})
		if err != nil {
			return fmt.Errorf("backing services: %w", err)
		}
		defer env.Close()
		cfg.DatabaseURL, cfg.RedisURL = env.DatabaseURL, env.RedisURL
	}

	logStartup(log, cfg)
	db, err := store.Open(ctx, cfg.DatabaseURL, cfg.DBPassword, storeOptions(cfg.DB), log)
	if err != nil {
		return err
	}
	defer db.Close()
	if err := db.WaitReady(ctx, startupWait); err != nil {
		return err
	}
	if _, err := db.Migrate(ctx); err != nil {
		return err
	}
	sessions, err := session.Open(cfg.RedisURL, sessionOptions(cfg.Redis), cfg.SessionTTL, log)
	if err != nil {
		return err
	}
	defer sessions.Close()

	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		db.Collector(), sessions.Collector())
	srv := api.NewServer(api.Deps{
		Todos: db, Users: db, Sessions: sessions,
		Ready:    map[string]api.Pinger{"postgres": db, "redis": sessions},
		Log:      log,
		Registry: reg,
	}, api.ServerOptions{
		Options: api.Options{
			MaxInflight: cfg.MaxInflight, RequestTimeout: cfg.RequestTimeout, ReadyTimeout: cfg.ReadyTimeout,
			BodyTimeout: cfg.BodyTimeout, SessionTTL: cfg.SessionTTL, BcryptCost: cfg.BcryptCost, HealthChecksDB: cfg.HealthChecksDB,
			TrustedProxies: cfg.TrustedProxies, MetricsElsewhere: cfg.MetricsAddr != "",
			SessionLoadTimeout: cfg.SessionLoadTimeout, Login: cfg.Login, IdempotencyWindow: cfg.IdempotencyWindow,
		},
		MaxConns:          cfg.MaxConns,
		ReadHeaderTimeout: cfg.ReadHeaderTimeout,
		ReadTimeout:       cfg.ReadTimeout,
		WriteTimeout:      cfg.WriteTimeout,
		IdleTimeout:       cfg.IdleTimeout,
	})

	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		return err
	}
	log.Info("listening", "addr", ln.Addr().String())
	var metrics *metricsServer
	if cfg.MetricsAddr != "" {
		if metrics, err = listenMetrics(cfg.MetricsAddr, reg, log); err != nil {
			ln.Close()
			return err
		}
	}

	// Supervised parts: the server, the metrics listener when METRICS_ADDR is
	// set, and the shutdown when a signal ends ctx (or a part fails). Wait
	// returns the first error.
	g, gctx := errgroup.WithContext(ctx)
	g.Go(func() error { return srv.Serve(ln) })
	if metrics != nil {
		g.Go(func() error { return metrics.run(gctx) })
	}
	g.Go(func() error {
		<-gctx.Done()
		log.Info("shutting down", "timeout", cfg.ShutdownTimeout.String())
		shutdownCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), cfg.ShutdownTimeout)
		defer cancel()
		err := srv.Shutdown(shutdownCtx)
		if errors.Is(err, context.DeadlineExceeded) {
			log.Warn("requests still in flight at the shutdown timeout were cut off")
		}
		return err
	})
	err = g.Wait()
	log.Info("stopped")
	return err
}

func migrate(ctx context.Context, args []string, getenv func(string) string, stdout io.Writer) error {
	if len(args) > 0 {
		return usageError{"migrate takes no arguments\n" + usage}
	}
	cfg, log, err := setup(getenv, stdout)
	if err != nil {
		return err
	}
	db, err := store.Open(ctx, cfg.DatabaseURL, cfg.DBPassword, storeOptions(cfg.DB), log)
	if err != nil {
		return err
	}
	defer func() { db.Close() }() // db changes to the app role's below
	if err := db.WaitReady(ctx, startupWait); err != nil {
		return err
	}
	if cfg.DBAppUser != "" {
		dbURL, password, err := ensureAppRole(ctx, cfg, log)
		if err != nil {
			return err
		}
		app, err := store.Open(ctx, dbURL, password, storeOptions(cfg.DB), log)
		if err != nil {
			return err
		}
		db.Close()
		db = app
	}
	n, err := db.Migrate(ctx)
	if err != nil {
		return err
	}
	log.Info("migrations done", "applied", n)
	return nil
}

// poolWait names DB_POOL_WAIT's value as the configuration spells it.
func poolWait(d time.Duration) string {
	if d == 0 {
		return "request"
	}
	return d.String()
}

// logStartup logs the effective settings, the database without its password,
// and the file descriptor limit that bounds MAX_CONNS.
func logStartup(log *slog.Logger, cfg config.Config) {
	log.Info("configuration",
		"addr", cfg.Addr, "health_checks_db", cfg.HealthChecksDB, "database", redact(cfg.DatabaseURL), "redis", redact(cfg.RedisURL),
		"max_conns", cfg.MaxConns, "max_inflight", cfg.MaxInflight,
		"request_timeout", cfg.RequestTimeout.String(), "shutdown_timeout", cfg.ShutdownTimeout.String())
	log.Info("postgres pool",
		"max_conns", cfg.DB.MaxConns, "min_conns", cfg.DB.MinConns,
		"max_conn_lifetime", cfg.DB.MaxConnLifetime.String(), "max_conn_idle_time", cfg.DB.MaxConnIdleTime.String(),
		"health_check_period", cfg.DB.HealthCheckPeriod.String(), "slow_query", cfg.DB.SlowQuery.String(),
		"pool_wait", poolWait(cfg.DB.PoolWait))
	maxActive := fmt.Sprint(cfg.Redis.MaxActive)
	if cfg.Redis.Unlimited {
		maxActive = "unlimited"
	}
	log.Info("redis pool", "max_active", maxActive, "max_idle", cfg.Redis.MaxIdle,
		"idle_timeout", cfg.Redis.IdleTimeout.String(), "wait", cfg.Redis.Wait)
	if cfg.Redis.Unlimited {
		log.Warn("REDIS_MAX_ACTIVE=unlimited: under load every request beyond REDIS_MAX_IDLE dials a new Redis connection",
			"max_idle", cfg.Redis.MaxIdle)
	}
	soft, hard, err := fileLimit()
	if err != nil {
		log.Info("file descriptor limit not checked", "reason", err.Error(), "max_conns", cfg.MaxConns)
		return
	}
	log.Info("file descriptor limit", "soft", soft, "hard", hard, "max_conns", cfg.MaxConns)
	if need := uint64(cfg.MaxConns) + uint64(cfg.DB.MaxConns) + 64; !cfg.Redis.Unlimited && need+uint64(cfg.Redis.MaxActive) > soft {
		log.Warn("MAX_CONNS and the pools may not fit the file descriptor limit: accept will fail with EMFILE",
			"soft_limit", soft, "needed", need+uint64(cfg.Redis.MaxActive))
	}
}

func redact(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return "(unparsable)"
	}
	return u.Redacted()
}

// dataDir makes dir, absolute, for the backing services' data.
func dataDir(dir string) (string, error) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return "", fmt.Errorf("-backing-dir %s: %w", dir, err)
	}
	return abs, os.MkdirAll(abs, 0o755)
}
