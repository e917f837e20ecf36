package api

import (
	"context"
	"errors"
	"math"
	"net"
	"net/http"
	"strconv"
	"time"

	"golang.org/x/crypto/bcrypt"

	taskoverflow "github.com/taskoverflow-lab/taskoverflow"
)

// credentials reads {"username": ..., "password": ...}.
func credentials(w http.ResponseWriter, r *http.Request) (username, password string, err error) {
	obj, err := decodeObject(w, r, "username", "password")
	if err != nil {
		return "", "", err
	}
	for _, f := range []string{"username", "password"} {
		if !obj.has(f) {
			return "", "", taskoverflow.Errorf(taskoverflow.EINVALID, "%s is required", f)
		}
	}
	if err := obj.str("username", &username, false); err != nil {
		return "", "", err
	}
	err = obj.str("password", &password, false)
	return username, password, err
}

// register: POST /users: 201 with the new user; 409 when the name is taken.
func (h *handler) register(w http.ResponseWriter, r *http.Request) {
	username, password, err := credentials(w, r)
	if err == nil {
		err = taskoverflow.ValidateCredentials(username, password)
	}
	if err != nil {
		h.writeError(w, r, err)
		return
	}
	var hash []byte
	err = h.withBcrypt(w, r, func() (err error) {
		hash, err = bcrypt.GenerateFromPassword([]byte(password), h.opts.BcryptCost)
		return err
	})
	if err != nil {
		h.writeError(w, r, err)
		return
	}
	user, err := h.Users.CreateUser(r.Context(), username, hash)
	if err != nil {
		h.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusCreated, user)
}

// login: POST /login: checks the password and sets the session cookie.
// Failed logins are counted per username and per client address (in Redis,
// shared by every instance); beyond LOGIN_FAILURES_PER_USER or
// LOGIN_FAILURES_PER_ADDR in a window the answer is 429 with Retry-After.
func (h *handler) login(w http.ResponseWriter, r *http.Request) {
	username, password, err := credentials(w, r)
	if err == nil && len(password) > taskoverflow.MaxPasswordLen {
		// bcrypt reads 72 bytes: a longer password would log in on its prefix.
		err = taskoverflow.Errorf(taskoverflow.EINVALID, "password must be at most %d bytes long", taskoverflow.MaxPasswordLen)
	}
	if err != nil {
		h.writeError(w, r, err)
		return
	}
	userKey, addrKey := "user:"+username, "addr:"+clientAddr(r)
	if h.throttled(w, r, userKey, addrKey) {
		return
	}
	user, err := h.Users.UserByUsername(r.Context(), username)
	hash := user.PasswordHash
	switch code := taskoverflow.ErrorCode(err); {
	case code == taskoverflow.ENOTFOUND:
		hash = h.dummyHash() // take as long as for a real user: names are not probed by timing
	case err != nil:
		h.writeError(w, r, err)
		return
	}
	var wrong bool
	if berr := h.withBcrypt(w, r, func() error {
		wrong = bcrypt.CompareHashAndPassword(hash, []byte(password)) != nil || err != nil
		return nil
	}); berr != nil {
		h.writeError(w, r, berr)
		return
	}
	if wrong {
		if h.Logins != nil {
			if err := h.Logins.AddFailure(r.Context(), h.opts.Login.FailureWindow, userKey, addrKey); err != nil {
				h.Log.WarnContext(r.Context(), "failed login not counted", "err", err.Error())
			}
		}
		h.writeError(w, r, taskoverflow.Errorf(taskoverflow.EUNAUTHORIZED, "wrong username or password"))
		return
	}
	if h.Logins != nil {
		if err := h.Logins.ClearFailures(r.Context(), userKey); err != nil {
			h.Log.WarnContext(r.Context(), "failed logins not cleared", "err", err.Error())
		}
	}
	token, err := h.Sessions.Create(r.Context(), taskoverflow.Session{UserID: user.ID, Username: user.Username, CreatedAt: time.Now().UTC()})
	if err != nil {
		h.writeError(w, r, err)
		return
	}
	http.SetCookie(w, h.sessionCookie(r, token, int(h.opts.SessionTTL/time.Second)))
	writeJSON(w, http.StatusOK, me{ID: user.ID, Username: user.Username})
}

// throttled answers 429 with Retry-After, and reports true, when userKey or
// addrKey has used up its failed logins for the window; 503 when the counts
// cannot be read.
func (h *handler) throttled(w http.ResponseWriter, r *http.Request, userKey, addrKey string) bool {
	if h.Logins == nil {
		return false
	}
	for _, k := range []struct {
		key, what string
		limit     int
	}{{userKey, "this username", h.opts.Login.FailuresPerUser}, {addrKey, "this address", h.opts.Login.FailuresPerAddr}} {
		n, left, err := h.Logins.Failures(r.Context(), k.key)
		if err != nil {
			h.writeError(w, r, err)
			return true
		}
		if n >= k.limit {
			secs := int64(math.Ceil(left.Seconds()))
			if secs < 1 {
				secs = 1
			}
			w.Header().Set("Retry-After", strconv.FormatInt(secs, 10))
			h.writeError(w, r, taskoverflow.Errorf(taskoverflow.ETOOMANY, "too many failed logins for %s; try again in %d s", k.what, secs))
			return true
		}
	}
	return false
}

// withBcrypt runs f, a bcrypt hash or comparison, in one of the
// BCRYPT_CONCURRENCY slots, so password work cannot take every CPU from the
// other routes. When no slot frees within BCRYPT_WAIT it returns an
// EOVERLOADED error (503 with Retry-After) without running f.
func (h *handler) withBcrypt(w http.ResponseWriter, r *http.Request, f func() error) error {
	timer := time.NewTimer(h.opts.Login.BcryptWait)
	defer timer.Stop()
	select {
	case h.bcryptSlots <- struct{}{}:
	case <-timer.C:
		w.Header().Set("Retry-After", "1")
		return taskoverflow.Errorf(taskoverflow.EOVERLOADED, "too many logins and registrations at once; retry shortly")
	case <-r.Context().Done():
		// A client that hung up is recorded as such by writeError; a
		// request out of time waited for a slot in vain.
		w.Header().Set("Retry-After", "1")
		return &taskoverflow.Error{Code: taskoverflow.EOVERLOADED, Message: "too many logins and registrations at once; retry shortly", Err: r.Context().Err()}
	}
	defer func() { <-h.bcryptSlots }()
	return f()
}

// clientAddr is the client's IP address as the connection shows it.
func clientAddr(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

// logout: POST /logout: ends the session, if any, and clears the cookie.
func (h *handler) logout(w http.ResponseWriter, r *http.Request) {
	if c, err := r.Cookie(SessionCookie); err == nil {
		if err := h.Sessions.Delete(r.Context(), c.Value); err != nil {
			h.writeError(w, r, err)
			return
		}
	}
	http.SetCookie(w, h.sessionCookie(r, "", -1))
	writeJSON(w, http.StatusOK, struct{}{})
}

// me: GET /me: the logged-in user; 401 without a session, 503 when sessions
// cannot be read.
func (h *handler) me(w http.ResponseWriter, r *http.Request) {
	sess, err := sessionFrom(r.Context())
	if err != nil {
		h.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, me{ID: sess.UserID, Username: sess.Username})
}

type me struct {
	ID       int64  `json:"id"`
	Username string `json:"username"`
}

// loadSession loads the session of a request that carries the cookie, as
// cookie sessions do on every request, and waits for it at most
// SESSION_LOAD_TIMEOUT: a stalled Redis costs a request that much, not its
// whole timeout. A session not loaded in time, or not at all, does not fail
// the request: the public routes go on anonymously (with a warning in the
// log), the routes that need the session (me) wait for the load within the
// request's deadline and answer 503 naming Redis when it does not come.
//
// The load itself runs to its end (within REQUEST_TIMEOUT) even when nobody
// waits for it any more: a Redis command cut off mid-reply would cost its
// pooled connection, and under load that is a dial per slow request.
func (h *handler) loadSession(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		load := &sessionLoad{done: make(chan struct{})}
		c, err := r.Cookie(SessionCookie)
		if err != nil {
			load.res.err = taskoverflow.Errorf(taskoverflow.EUNAUTHORIZED, "not logged in")
			close(load.done)
		} else {
			ctx, cancel := context.WithTimeout(context.WithoutCancel(r.Context()), max(h.opts.RequestTimeout, h.opts.SessionLoadTimeout))
			go func() {
				defer cancel()
				load.res.sess, load.res.err = h.Sessions.Get(ctx, c.Value)
				if code := taskoverflow.ErrorCode(load.res.err); code != "" && code != taskoverflow.EUNAUTHORIZED {
					h.Log.WarnContext(ctx, "session not loaded", "err", load.res.err.Error())
				}
				close(load.done)
			}()
			timer := time.NewTimer(h.opts.SessionLoadTimeout)
			select {
			case <-load.done:
			case <-timer.C:
				h.Log.WarnContext(r.Context(), "session not loaded in time; the request goes on anonymously",
					"session_load_timeout", h.opts.SessionLoadTimeout.String())
			case <-r.Context().Done():
			}
			timer.Stop()
		}
		next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), sessionKey{}, load)))
	})
}

type sessionKey struct{}

// sessionLoad is a session being loaded; res is set before done closes.
type sessionLoad struct {
	done chan struct{}
	res  sessionResult
}

type sessionResult struct {
	sess taskoverflow.Session
	err  error
}

// sessionFrom returns the session loadSession found, or why there is none,
// waiting for the load until ctx ends (then an EUNAVAILABLE error naming
// Redis).
func sessionFrom(ctx context.Context) (taskoverflow.Session, error) {
	load, ok := ctx.Value(sessionKey{}).(*sessionLoad)
	if !ok {
		return taskoverflow.Session{}, errors.New("session middleware not installed")
	}
	select {
	case <-load.done:
		return load.res.sess, load.res.err
	case <-ctx.Done():
		return taskoverflow.Session{}, &taskoverflow.Error{Code: taskoverflow.EUNAVAILABLE, Message: "sessions are unavailable (Redis does not answer); try again", Err: ctx.Err()}
	}
}
