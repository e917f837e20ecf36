package api

import (
	"context"
	"errors"
	"net/http"
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
	hash, err := bcrypt.GenerateFromPassword([]byte(password), h.opts.BcryptCost)
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
func (h *handler) login(w http.ResponseWriter, r *http.Request) {
	username, password, err := credentials(w, r)
	if err != nil {
		h.writeError(w, r, err)
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
	if bcrypt.CompareHashAndPassword(hash, []byte(password)) != nil || err != nil {
		h.writeError(w, r, taskoverflow.Errorf(taskoverflow.EUNAUTHORIZED, "wrong username or password"))
		return
	}
	token, err := h.Sessions.Create(r.Context(), taskoverflow.Session{UserID: user.ID, Username: user.Username, CreatedAt: time.Now().UTC()})
	if err != nil {
		h.writeError(w, r, err)
		return
	}
	http.SetCookie(w, h.sessionCookie(r, token, int(h.opts.SessionTTL/time.Second)))
	writeJSON(w, http.StatusOK, me{ID: user.ID, Username: user.Username})
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
// cookie sessions do on every request. A failure does not fail the request:
// routes that need the session (me) answer it, the rest go on without.
func (h *handler) loadSession(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		res := sessionResult{err: taskoverflow.Errorf(taskoverflow.EUNAUTHORIZED, "not logged in")}
		if c, err := r.Cookie(SessionCookie); err == nil {
			res.sess, res.err = h.Sessions.Get(r.Context(), c.Value)
			if code := taskoverflow.ErrorCode(res.err); code != "" && code != taskoverflow.EUNAUTHORIZED {
				h.Log.WarnContext(r.Context(), "session not loaded", "err", res.err.Error())
			}
		}
		next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), sessionKey{}, res)))
	})
}

type sessionKey struct{}

type sessionResult struct {
	sess taskoverflow.Session
	err  error
}

// sessionFrom returns the session loadSession found, or why there is none.
func sessionFrom(ctx context.Context) (taskoverflow.Session, error) {
	res, ok := ctx.Value(sessionKey{}).(sessionResult)
	if !ok {
		return taskoverflow.Session{}, errors.New("session middleware not installed")
	}
	return res.sess, res.err
}
