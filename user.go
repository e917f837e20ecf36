package taskoverflow

import (
	"regexp"
	"time"
)

// User is a registered account.
type User struct {
	ID           int64     `json:"id"`
	Username     string    `json:"username"`
	PasswordHash []byte    `json:"-"`
	CreatedAt    LocalTime `json:"created_at"`
}

// Session is a logged-in user's state, kept in Redis under a random token.
type Session struct {
	UserID    int64     `json:"user_id"`
	Username  string    `json:"username"`
	CreatedAt time.Time `json:"created_at"`
}

// Password length bounds, in bytes (bcrypt reads at most 72).
const (
	MinPasswordLen = 8
	MaxPasswordLen = 72
)

var usernamePattern = regexp.MustCompile(`^[A-Za-z0-9_.-]{3,32}$`)

// ValidateCredentials checks a username and password offered at registration.
func ValidateCredentials(username, password string) error {
	if !usernamePattern.MatchString(username) {
		return Errorf(EINVALID, "username must be 3 to 32 letters, digits, '.', '_' or '-'")
	}
	if n := len(password); n < MinPasswordLen || n > MaxPasswordLen {
		return Errorf(EINVALID, "password must be %d to %d bytes long", MinPasswordLen, MaxPasswordLen)
	}
	return nil
}
