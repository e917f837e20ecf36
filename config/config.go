// Package config reads the server's configuration from the environment.
//
// Every variable has a default that is safe for production: no zero or unset
// value means "unlimited". Unlimited is spelled out (REDIS_MAX_ACTIVE=unlimited).
// The table of variables, Vars, is the single source of the names: the README's
// configuration table, the compose file and the Terraform task definition are
// checked against it.
package config

import (
	"errors"
	"fmt"
	"log/slog"
	"net/netip"
	"runtime"
	"strconv"
	"strings"
	"time"
)

// Config is the server's whole configuration.
type Config struct {
	Addr        string // listen address, host:port
	DatabaseURL string // Postgres URL; may omit the password
	DBPassword  string // overrides the URL's password when set
	RedisURL    string
	LogFormat   string // auto, json or text
	LogLevel    slog.Level

	DB    DBPool
	Redis RedisPool

	SessionTTL time.Duration
	BcryptCost int

	// MetricsAddr is the listen address of /metrics on its own listener;
	// empty serves /metrics on Addr with the API.
	MetricsAddr string
	// TrustedProxies are the peers whose X-Forwarded-Proto is believed.
	TrustedProxies []netip.Prefix

	// DBAppUser and DBAppPassword, for migrate: the app's own login role,
	// created or updated by the master user DATABASE_URL names.
	DBAppUser     string
	DBAppPassword string
	// SessionLoadTimeout bounds loading the session of a request that
	// carries the cookie: a stalled Redis costs at most this.
	SessionLoadTimeout time.Duration
	// Login holds the limits on login attempts and on bcrypt work.
	Login Login
	// IdempotencyWindow is how long an Idempotency-Key is remembered.
	IdempotencyWindow time.Duration

	// HealthChecksDB wires /api/v1/health through the database pool, as the
	// health checks of the incident in seed 001 were; the lab's broken setting.
	HealthChecksDB bool

	MaxConns          int // accepted connections held open at once
	MaxInflight       int // requests served at once; beyond it 503
	RequestTimeout    time.Duration
	BodyTimeout       time.Duration // time to receive a request's body
	ShutdownTimeout   time.Duration
	ReadyTimeout      time.Duration
	ReadHeaderTimeout time.Duration
	ReadTimeout       time.Duration
	WriteTimeout      time.Duration
	IdleTimeout       time.Duration
}

// DBPool holds the pgxpool settings.
type DBPool struct {
	MaxConns          int32
	MinConns          int32
	MaxConnLifetime   time.Duration
	MaxConnIdleTime   time.Duration
	HealthCheckPeriod time.Duration
	SlowQuery         time.Duration // statements slower than this log at warn
	// PoolWait bounds how long a request waits for a free connection; 0
	// waits as long as the request's deadline allows (DB_POOL_WAIT=request).
	PoolWait time.Duration
}

// Login holds the limits on guessing passwords and on bcrypt work.
type Login struct {
	FailuresPerUser int           // failed logins a username may take per window
	FailuresPerAddr int           // failed logins a client address may make per window
	FailureWindow   time.Duration // how long failed logins are counted
	BcryptMax       int           // bcrypt hashes or comparisons at once
	BcryptWait      time.Duration // how long a login or registration waits for a bcrypt slot
}

// RedisPool holds the redigo pool settings.
type RedisPool struct {
	MaxActive   int // 0 only when Unlimited is set
	Unlimited   bool
	MaxIdle     int
	IdleTimeout time.Duration
	Wait        bool // wait for a free connection instead of failing at MaxActive

	Password string // AUTH password; overrides the one in the URL when set
	CAFile   string // PEM CA bundle a rediss:// server is checked against; empty: the system's
}

// Var is one environment variable the server reads.
type Var struct {
	Name    string
	Default string
	Help    string
	set     func(c *Config, v string) error
}

// Vars returns every variable the server reads, in the order the README lists them.
func Vars() []Var {
	return []Var{
		{"ADDR", ":6400", "Listen address (host:port).", func(c *Config, v string) error { return setAddr(&c.Addr, v) }},
		{"DATABASE_URL", "postgres://postgres@localhost:5432/taskoverflow?sslmode=disable", "Postgres connection URL (the password may be left out and given in DB_PASSWORD).", func(c *Config, v string) error { return setNonEmpty(&c.DatabaseURL, v) }},
		{"DB_PASSWORD", "", "Postgres password; overrides the one in DATABASE_URL. Never logged.", func(c *Config, v string) error { c.DBPassword = v; return nil }},
		{"REDIS_URL", "redis://localhost:6379/0", "Redis URL for sessions.", func(c *Config, v string) error { return setNonEmpty(&c.RedisURL, v) }},
		{"REDIS_PASSWORD", "", "Redis AUTH password (the ElastiCache AUTH token); overrides the one in REDIS_URL. Never logged.", func(c *Config, v string) error { c.Redis.Password = v; return nil }},
		{"REDIS_TLS_CA_FILE", "", "PEM file of the CA certificates a `rediss://` server is checked against instead of the system's (ElastiCache needs none).", func(c *Config, v string) error { c.Redis.CAFile = v; return nil }},
		{"LOG_FORMAT", "auto", "json, text (coloured, for people) or auto (text on a terminal, else json).", setLogFormat},
		{"LOG_LEVEL", "info", "debug, info, warn or error. SQL and Redis commands log at debug.", setLogLevel},

		{"DB_MAX_CONNS", "10", "Postgres pool: most connections open at once (pgxpool MaxConns).", func(c *Config, v string) error { return setInt32(&c.DB.MaxConns, v, 1) }},
		{"DB_MIN_CONNS", "2", "Postgres pool: connections kept open when idle (MinConns).", func(c *Config, v string) error { return setInt32(&c.DB.MinConns, v, 0) }},
		{"DB_MAX_CONN_LIFETIME", "1h", "Postgres pool: a connection is closed after this age (MaxConnLifetime).", func(c *Config, v string) error { return setDuration(&c.DB.MaxConnLifetime, v) }},
		{"DB_MAX_CONN_IDLE_TIME", "30m", "Postgres pool: an idle connection is closed after this (MaxConnIdleTime).", func(c *Config, v string) error { return setDuration(&c.DB.MaxConnIdleTime, v) }},
		{"DB_HEALTH_CHECK_PERIOD", "1m", "Postgres pool: how often idle connections are checked (HealthCheckPeriod).", func(c *Config, v string) error { return setDuration(&c.DB.HealthCheckPeriod, v) }},
		{"DB_POOL_WAIT", "request", "Postgres pool: how long a request waits for a free connection before 503 with Retry-After; `request` waits as long as the request's own deadline (REQUEST_TIMEOUT) allows.", setPoolWait},
		{"DB_SLOW_QUERY", "200ms", "SQL statements slower than this log at warn instead of debug.", func(c *Config, v string) error { return setDuration(&c.DB.SlowQuery, v) }},

		{"REDIS_MAX_ACTIVE", "32", "Redis pool: most connections open at once; `unlimited` must be spelled out (and logs a warning).", setRedisMaxActive},
		{"REDIS_MAX_IDLE", "32", "Redis pool: idle connections kept for reuse; fewer than REDIS_MAX_ACTIVE means dialing under load.", func(c *Config, v string) error { return setInt(&c.Redis.MaxIdle, v, 0) }},
		{"REDIS_IDLE_TIMEOUT", "5m", "Redis pool: an idle connection is closed after this.", func(c *Config, v string) error { return setDuration(&c.Redis.IdleTimeout, v) }},
		{"REDIS_WAIT", "true", "Redis pool: wait for a free connection at REDIS_MAX_ACTIVE instead of failing.", func(c *Config, v string) error { return setBool(&c.Redis.Wait, v) }},
		{"SESSION_TTL", "24h", "Session lifetime in Redis; each request with the cookie extends it (sliding).", func(c *Config, v string) error { return setDuration(&c.SessionTTL, v) }},
		{"BCRYPT_COST", "10", "bcrypt cost for passwords (4 to 31).", setBcryptCost},
		{"SESSION_LOAD_TIMEOUT", "200ms", "Deadline for loading the session of a request with the cookie; when Redis does not answer within it, public routes go on anonymously and session routes answer 503.", func(c *Config, v string) error { return setDuration(&c.SessionLoadTimeout, v) }},
		{"LOGIN_FAILURES_PER_USER", "10", "Failed logins one username may take per LOGIN_FAILURE_WINDOW before 429 with Retry-After (counted in Redis, shared by every instance).", func(c *Config, v string) error { return setInt(&c.Login.FailuresPerUser, v, 1) }},
		{"LOGIN_FAILURES_PER_ADDR", "100", "Failed logins one client address may make per LOGIN_FAILURE_WINDOW before 429 with Retry-After.", func(c *Config, v string) error { return setInt(&c.Login.FailuresPerAddr, v, 1) }},
		{"LOGIN_FAILURE_WINDOW", "15m", "How long failed logins are counted.", func(c *Config, v string) error { return setDuration(&c.Login.FailureWindow, v) }},
		{"BCRYPT_CONCURRENCY", "auto", "bcrypt hashes and comparisons run at once; `auto` is half the CPUs (at least 1). Logins and registrations beyond it wait BCRYPT_WAIT, then 503 with Retry-After.", setBcryptConcurrency},
		{"BCRYPT_WAIT", "1s", "How long a login or registration waits for a bcrypt slot.", func(c *Config, v string) error { return setDuration(&c.Login.BcryptWait, v) }},
		{"IDEMPOTENCY_WINDOW", "24h", "How long POST /api/v1/todos remembers an Idempotency-Key and replays its first answer.", func(c *Config, v string) error { return setDuration(&c.IdempotencyWindow, v) }},

		{"MAX_CONNS", "1024", "Listener: most client connections held at once; at the limit a new one takes the place of the longest-idle keep-alive one, or waits in the kernel's backlog.", func(c *Config, v string) error { return setInt(&c.MaxConns, v, 1) }},
		{"MAX_INFLIGHT", "256", "Requests served at once; beyond it 503 with Retry-After.", func(c *Config, v string) error { return setInt(&c.MaxInflight, v, 1) }},
		{"REQUEST_TIMEOUT", "10s", "Deadline of one request's context, reaching the database and Redis.", func(c *Config, v string) error { return setDuration(&c.RequestTimeout, v) }},
		{"REQUEST_BODY_TIMEOUT", "10s", "Most time to receive a request's body once its headers are in; a slower body is cut off with 408, so it holds an in-flight slot no longer.", func(c *Config, v string) error { return setDuration(&c.BodyTimeout, v) }},
		{"SHUTDOWN_TIMEOUT", "15s", "On SIGTERM/SIGINT, how long in-flight requests get to finish.", func(c *Config, v string) error { return setDuration(&c.ShutdownTimeout, v) }},
		{"METRICS_ADDR", "", "Listen address of `/metrics` on a listener of its own (such as :9464), which the load balancer does not route. Empty serves `/metrics` on ADDR with the API.", setMetricsAddr},
		{"TRUSTED_PROXIES", "", "Comma-separated CIDRs of the load balancers whose `X-Forwarded-Proto: https` makes the session cookie `Secure`. Empty trusts no one: only a direct TLS connection does.", setTrustedProxies},
		{"DB_APP_USER", "", "`migrate` only: a login role for the app, created or updated (password DB_APP_PASSWORD) and allowed to use the public schema, while DATABASE_URL names the master user.", func(c *Config, v string) error { c.DBAppUser = v; return nil }},
		{"DB_APP_PASSWORD", "", "`migrate` only: the password DB_APP_USER gets. Never logged.", func(c *Config, v string) error { c.DBAppPassword = v; return nil }},
		{"HEALTH_CHECKS_DB", "false", "When true, /api/v1/health also pings Postgres through the pool (waiting for a free connection like any request) and is no longer exempt from MAX_INFLIGHT (refused with 503 past it): how the failing health checks of an overload were wired. For the lab; keep it false.", func(c *Config, v string) error { return setBool(&c.HealthChecksDB, v) }},
		{"READY_TIMEOUT", "1s", "How long /api/v1/ready waits for Postgres and Redis to answer.", func(c *Config, v string) error { return setDuration(&c.ReadyTimeout, v) }},
		{"HTTP_READ_HEADER_TIMEOUT", "5s", "http.Server ReadHeaderTimeout.", func(c *Config, v string) error { return setDuration(&c.ReadHeaderTimeout, v) }},
		{"HTTP_READ_TIMEOUT", "30s", "http.Server ReadTimeout.", func(c *Config, v string) error { return setDuration(&c.ReadTimeout, v) }},
		{"HTTP_WRITE_TIMEOUT", "30s", "http.Server WriteTimeout.", func(c *Config, v string) error { return setDuration(&c.WriteTimeout, v) }},
		{"HTTP_IDLE_TIMEOUT", "120s", "http.Server IdleTimeout (keep-alive).", func(c *Config, v string) error { return setDuration(&c.IdleTimeout, v) }},
	}
}

// Names returns the name of every variable the server reads.
func Names() []string {
	vars := Vars()
	names := make([]string, len(vars))
	for i, v := range vars {
		names[i] = v.Name
	}
	return names
}

// Load reads the configuration through getenv, using each variable's default
// when it is unset or empty. It returns every invalid variable in one error,
// each named with its value.
func Load(getenv func(string) string) (Config, error) {
	var c Config
	var errs []error
	for _, v := range Vars() {
		val := strings.TrimSpace(getenv(v.Name))
		if val == "" {
			val = v.Default
		}
		if err := v.set(&c, val); err != nil {
			errs = append(errs, fmt.Errorf("%s=%q: %w", v.Name, val, err))
		}
	}
	if c.DB.MinConns > c.DB.MaxConns {
		errs = append(errs, fmt.Errorf("DB_MIN_CONNS=%d is above DB_MAX_CONNS=%d", c.DB.MinConns, c.DB.MaxConns))
	}
	if !c.Redis.Unlimited && c.Redis.MaxIdle > c.Redis.MaxActive {
		errs = append(errs, fmt.Errorf("REDIS_MAX_IDLE=%d is above REDIS_MAX_ACTIVE=%d", c.Redis.MaxIdle, c.Redis.MaxActive))
	}
	if c.DBAppUser != "" && c.DBAppPassword == "" {
		errs = append(errs, fmt.Errorf("DB_APP_USER=%q needs DB_APP_PASSWORD", c.DBAppUser))
	}
	return c, errors.Join(errs...)
}

// setPoolWait reads DB_POOL_WAIT: a duration above zero, or `request` (0:
// the request's deadline is the bound).
func setPoolWait(c *Config, v string) error {
	if strings.EqualFold(v, "request") {
		c.DB.PoolWait = 0
		return nil
	}
	if err := setDuration(&c.DB.PoolWait, v); err != nil {
		return fmt.Errorf("%w, or `request`", err)
	}
	return nil
}

func setMetricsAddr(c *Config, v string) error {
	if v == "" {
		c.MetricsAddr = ""
		return nil
	}
	return setAddr(&c.MetricsAddr, v)
}

// setTrustedProxies parses comma-separated CIDRs; a bare address is one host.
func setTrustedProxies(c *Config, v string) error {
	c.TrustedProxies = nil
	for _, f := range strings.Split(v, ",") {
		f = strings.TrimSpace(f)
		if f == "" {
			continue
		}
		p, err := netip.ParsePrefix(f)
		if err != nil {
			a, aerr := netip.ParseAddr(f)
			if aerr != nil {
				return fmt.Errorf("%q is not a CIDR such as 10.0.0.0/16", f)
			}
			p = netip.PrefixFrom(a, a.BitLen())
		}
		c.TrustedProxies = append(c.TrustedProxies, p.Masked())
	}
	return nil
}

func setAddr(dst *string, v string) error {
	i := strings.LastIndex(v, ":")
	if i < 0 {
		return errors.New("want host:port, such as :6400")
	}
	if _, err := strconv.ParseUint(v[i+1:], 10, 16); err != nil {
		return errors.New("port must be a number from 0 to 65535")
	}
	*dst = v
	return nil
}

func setNonEmpty(dst *string, v string) error {
	if v == "" {
		return errors.New("must not be empty")
	}
	*dst = v
	return nil
}

func setInt(dst *int, v string, min int) error {
	n, err := strconv.Atoi(v)
	if err != nil {
		return errors.New("not a whole number")
	}
	if n < min {
		return fmt.Errorf("must be at least %d", min)
	}
	*dst = n
	return nil
}

func setInt32(dst *int32, v string, min int32) error {
	n, err := strconv.ParseInt(v, 10, 32)
	if err != nil {
		return errors.New("not a whole number")
	}
	if int32(n) < min {
		return fmt.Errorf("must be at least %d", min)
	}
	*dst = int32(n)
	return nil
}

func setDuration(dst *time.Duration, v string) error {
	d, err := time.ParseDuration(v)
	if err != nil {
		return errors.New("not a duration (such as 500ms, 10s, 5m)")
	}
	if d <= 0 {
		return errors.New("must be above zero")
	}
	*dst = d
	return nil
}

func setBool(dst *bool, v string) error {
	b, err := strconv.ParseBool(v)
	if err != nil {
		return errors.New("want true or false")
	}
	*dst = b
	return nil
}

func setLogFormat(c *Config, v string) error {
	switch v {
	case "auto", "json", "text":
		c.LogFormat = v
		return nil
	}
	return errors.New("want auto, json or text")
}

func setLogLevel(c *Config, v string) error {
	return c.LogLevel.UnmarshalText([]byte(v))
}

func setRedisMaxActive(c *Config, v string) error {
	var err error
	c.Redis.MaxActive, c.Redis.Unlimited, err = ParseRedisMaxActive(v)
	return err
}

// ParseRedisMaxActive reads REDIS_MAX_ACTIVE's syntax: a positive number, or
// `unlimited` in any case (then max is 0). It returns an error naming the
// syntax otherwise.
func ParseRedisMaxActive(v string) (max int, unlimited bool, err error) {
	if strings.EqualFold(v, "unlimited") {
		return 0, true, nil
	}
	if err := setInt(&max, v, 1); err != nil {
		return 0, false, fmt.Errorf("%w (write `unlimited` for no bound)", err)
	}
	return max, false, nil
}

func setBcryptConcurrency(c *Config, v string) error {
	if strings.EqualFold(v, "auto") {
		c.Login.BcryptMax = max(1, runtime.GOMAXPROCS(0)/2)
		return nil
	}
	if err := setInt(&c.Login.BcryptMax, v, 1); err != nil {
		return fmt.Errorf("%w (or `auto`)", err)
	}
	return nil
}

func setBcryptCost(c *Config, v string) error {
	if err := setInt(&c.BcryptCost, v, 4); err != nil {
		return err
	}
	if c.BcryptCost > 31 {
		return errors.New("must be at most 31")
	}
	return nil
}

// Defaults returns the configuration of an empty environment: every
// variable's default.
func Defaults() Config {
	c, _ := Load(func(string) string { return "" })
	return c
}
