// Package api is the HTTP surface of TaskOverflow: the routes (chi), their
// handlers, JSON errors, and the server's lifecycle (listener limit, graceful
// shutdown). Routes reads top to bottom as the whole API.
package api

import (
	"context"
	"log/slog"
	"net/http"
	"net/netip"
	"sync"
	"sync/atomic"
	"time"

	"github.com/go-chi/chi/v5"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"golang.org/x/crypto/bcrypt"

	taskoverflow "github.com/taskoverflow-lab/taskoverflow"
	"github.com/taskoverflow-lab/taskoverflow/config"
	"github.com/taskoverflow-lab/taskoverflow/middleware"
)

// TodoStore is what the API needs of todo storage.
type TodoStore interface {
	ListTodos(ctx context.Context, f taskoverflow.TodoFilter) ([]taskoverflow.Todo, error)
	GetTodo(ctx context.Context, id int64) (taskoverflow.Todo, error)
	CreateTodo(ctx context.Context, t taskoverflow.Todo) (taskoverflow.Todo, error)
	UpdateTodo(ctx context.Context, id int64, u taskoverflow.TodoUpdate) (taskoverflow.Todo, error)
	// DeleteTodo returns the deleted todo, or an ENOTFOUND error.
	DeleteTodo(ctx context.Context, id int64) (taskoverflow.Todo, error)
}

// UserStore is what the API needs of user storage.
type UserStore interface {
	CreateUser(ctx context.Context, username string, passwordHash []byte) (taskoverflow.User, error)
	// UserByUsername returns an ENOTFOUND error when there is no such user.
	UserByUsername(ctx context.Context, username string) (taskoverflow.User, error)
}

// SessionStore is what the API needs of session storage.
type SessionStore interface {
	Create(ctx context.Context, s taskoverflow.Session) (token string, err error)
	// Get returns an EUNAUTHORIZED error for an unknown or expired token.
	Get(ctx context.Context, token string) (taskoverflow.Session, error)
	Delete(ctx context.Context, token string) error
}

// LoginLimiter counts failed logins in state every instance shares.
type LoginLimiter interface {
	// Failures returns key's failed logins in its current window and how
	// long that window has to run.
	Failures(ctx context.Context, key string) (int, time.Duration, error)
	// AddFailure counts one failed login for each key, forgotten window
	// after the key's first failure.
	AddFailure(ctx context.Context, window time.Duration, keys ...string) error
	// ClearFailures forgets key's failed logins.
	ClearFailures(ctx context.Context, key string) error
}

// Pinger is a backing service /ready checks.
type Pinger interface {
	Ping(ctx context.Context) error
}

// Deps are what the handlers are built on.
type Deps struct {
	Todos    TodoStore
	Users    UserStore
	Sessions SessionStore
	// Logins counts failed logins; nil means Sessions, when it is a
	// LoginLimiter (the Redis session store is), else logins are not limited.
	Logins LoginLimiter
	// Ready lists the services /ready pings, by name ("postgres", "redis").
	Ready    map[string]Pinger
	Log      *slog.Logger
	Registry *prometheus.Registry // /metrics serves it; HTTP series are added to it
}

// Options are the handler's limits.
type Options struct {
	MaxInflight    int
	RequestTimeout time.Duration
	ReadyTimeout   time.Duration
	// BodyTimeout bounds the time to receive a request's body, from the
	// moment its headers are read (REQUEST_BODY_TIMEOUT); zero leaves it to
	// the server's ReadTimeout.
	BodyTimeout time.Duration
	SessionTTL  time.Duration
	BcryptCost  int
	// SessionLoadTimeout bounds loading a request's session; zero means
	// config's default.
	SessionLoadTimeout time.Duration
	// Login limits failed logins and bcrypt work; zero fields mean config's
	// defaults.
	Login config.Login
	// IdempotencyWindow is how long an Idempotency-Key is remembered; zero
	// means config's default.
	IdempotencyWindow time.Duration
	// HealthChecksDB makes /health ping Postgres through the pool and takes
	// it out of the in-flight exemption: the wiring that turns an overload
	// into failed health checks. Off in production.
	HealthChecksDB bool
	// TrustedProxies are the peers (the load balancer) whose
	// X-Forwarded-Proto: https makes the session cookie Secure.
	TrustedProxies []netip.Prefix
	// MetricsElsewhere leaves /metrics out of these routes: it is served on a
	// listener of its own (METRICS_ADDR).
	MetricsElsewhere bool
}

// handler holds what the route handlers share.
type handler struct {
	Deps
	opts       Options
	writeError middleware.ErrorWriter
	draining   *atomic.Bool
	// dummyHash is a bcrypt hash at the configured cost, compared against
	// when a login names no user.
	dummyHash func() []byte
	// bcryptSlots holds a token per bcrypt hash or comparison running.
	bcryptSlots chan struct{}
}

// SessionCookie is the name of the cookie holding a session token.
const SessionCookie = "taskoverflow_session"

// HealthPath is the liveness check: it never touches a backing service and
// is never refused by the in-flight limit.
const HealthPath = "/api/v1/health"

// Routes returns the whole API. draining, once set, turns /ready to 503.
func Routes(deps Deps, opts Options, draining *atomic.Bool) http.Handler {
	opts = opts.withDefaults()
	if deps.Logins == nil {
		deps.Logins, _ = deps.Sessions.(LoginLimiter)
	}
	h := &handler{Deps: deps, opts: opts, writeError: errorWriter(deps.Log), draining: draining,
		bcryptSlots: make(chan struct{}, opts.Login.BcryptMax)}
	h.dummyHash = sync.OnceValue(func() []byte {
		hash, _ := bcrypt.GenerateFromPassword([]byte("no user has this password"), opts.BcryptCost)
		return hash
	})
	metrics := middleware.NewMetrics(deps.Registry)

	r := chi.NewRouter()
	r.Use(
		middleware.RequestID,
		middleware.Log(deps.Log),
		middleware.Recover(deps.Log, h.writeError),
		middleware.BodyTimeout(opts.BodyTimeout),
		middleware.Limit(opts.MaxInflight, metrics.Rejected, h.writeError, limitExempt(opts)...),
		metrics.Middleware,
	)
	r.NotFound(h.notFound)
	r.MethodNotAllowed(h.methodNotAllowed)

	if !opts.MetricsElsewhere {
		r.Get("/metrics", promhttp.HandlerFor(deps.Registry, promhttp.HandlerOpts{}).ServeHTTP)
	}
	r.Route("/api/v1", func(r chi.Router) {
		r.Get("/health", h.health)
		r.Get("/ready", h.ready)

		r.Group(func(r chi.Router) {
			r.Use(h.timeout, h.loadSession)

			r.Get("/todos", h.listTodos)
			r.Post("/todos", h.createTodo)
			r.Get("/todos/{id}", h.getTodo)
			r.Put("/todos/{id}", h.updateTodo)
			r.Delete("/todos/{id}", h.deleteTodo)

			r.Post("/users", h.register)
			r.Post("/login", h.login)
			r.Post("/logout", h.logout)
			r.Get("/me", h.me)
		})
	})
	return r
}

// withDefaults fills the zero fields with config's defaults.
func (o Options) withDefaults() Options {
	d := config.Defaults()
	set := func(dst *time.Duration, def time.Duration) {
		if *dst <= 0 {
			*dst = def
		}
	}
	set(&o.SessionLoadTimeout, d.SessionLoadTimeout)
	set(&o.IdempotencyWindow, d.IdempotencyWindow)
	set(&o.Login.FailureWindow, d.Login.FailureWindow)
	set(&o.Login.BcryptWait, d.Login.BcryptWait)
	for _, f := range []struct {
		dst *int
		def int
	}{
		{&o.Login.FailuresPerUser, d.Login.FailuresPerUser},
		{&o.Login.FailuresPerAddr, d.Login.FailuresPerAddr},
		{&o.Login.BcryptMax, d.Login.BcryptMax},
	} {
		if *f.dst <= 0 {
			*f.dst = f.def
		}
	}
	return o
}

// limitExempt is what MAX_INFLIGHT never refuses: the liveness check, unless
// it is wired through the database.
func limitExempt(opts Options) []string {
	if opts.HealthChecksDB {
		return nil
	}
	return []string{HealthPath}
}

// timeout bounds the request's context by RequestTimeout; the deadline
// reaches Postgres and Redis.
func (h *handler) timeout(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ctx, cancel := context.WithTimeout(r.Context(), h.opts.RequestTimeout)
		defer cancel()
		next.ServeHTTP(w, r.WithContext(ctx))
	})
}

func (h *handler) notFound(w http.ResponseWriter, r *http.Request) {
	h.writeError(w, r, taskoverflow.Errorf(taskoverflow.ENOTFOUND, "no route %s %s",
		middleware.Clip(r.Method, middleware.MaxLoggedMethod), middleware.Clip(r.URL.Path, middleware.MaxLoggedURL)))
}

func (h *handler) methodNotAllowed(w http.ResponseWriter, r *http.Request) {
	h.writeError(w, r, taskoverflow.Errorf(taskoverflow.EMETHOD, "method %s is not allowed on %s",
		middleware.Clip(r.Method, middleware.MaxLoggedMethod), middleware.Clip(r.URL.Path, middleware.MaxLoggedURL)))
}
