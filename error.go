package taskoverflow

import (
	"errors"
	"fmt"
)

// Error codes: each maps to one HTTP status in the api package.
const (
	EINVALID      = "invalid"            // 400: the request is malformed or fails validation
	EUNAUTHORIZED = "unauthorized"       // 401: no session, or wrong credentials
	ENOTFOUND     = "not_found"          // 404
	ECONFLICT     = "conflict"           // 409: e.g. a username already taken
	ETOOLARGE     = "too_large"          // 413: the body is over the limit
	ETIMEOUT      = "timeout"            // 408: the body did not arrive in time
	EOVERLOADED   = "overloaded"         // 503 with Retry-After: too many requests in flight
	ETOOMANY      = "too_many_requests"  // 429 with Retry-After: e.g. too many failed logins
	EUNAVAILABLE  = "unavailable"        // 503: a backing service does not answer
	EINTERNAL     = "internal"           // 500: a bug; the message is never shown to clients
	EMETHOD       = "method_not_allowed" // 405: the path exists, the method does not
)

// Error is an application error: a machine code and a message safe to show to
// a client.
type Error struct {
	Code    string
	Message string
	Err     error // the cause, logged but never shown
}

func (e *Error) Error() string {
	if e.Err != nil {
		return fmt.Sprintf("%s: %s: %v", e.Code, e.Message, e.Err)
	}
	return fmt.Sprintf("%s: %s", e.Code, e.Message)
}

func (e *Error) Unwrap() error { return e.Err }

// Errorf returns an *Error with code and a formatted message.
func Errorf(code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// ErrorCode returns the code of the first *Error in err's chain; EINTERNAL
// for any other non-nil error, "" for nil.
func ErrorCode(err error) string {
	var e *Error
	switch {
	case err == nil:
		return ""
	case errors.As(err, &e):
		return e.Code
	}
	return EINTERNAL
}

// ErrorMessage returns the message of the first *Error in err's chain, or a
// generic message for other errors (their text may hold internals).
func ErrorMessage(err error) string {
	var e *Error
	switch {
	case err == nil:
		return ""
	case errors.As(err, &e):
		return e.Message
	}
	return "internal error"
}
