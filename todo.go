package taskoverflow

import (
	"encoding/json"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// Limits of a todo's text fields, in characters.
const (
	MaxTitleLen       = 80
	MaxDescriptionLen = 120
)

// Todo is one task on the shared list.
type Todo struct {
	ID          int64      `json:"id"`
	Title       string     `json:"title"`
	Description string     `json:"description"`
	Completed   bool       `json:"completed"`
	DeadlineAt  *LocalTime `json:"deadline_at"`
	CreatedAt   LocalTime  `json:"created_at"`
	UpdatedAt   LocalTime  `json:"updated_at"`
}

// TodoUpdate holds the fields a PUT sets; nil fields are left as they are.
// DeadlineSet distinguishes "deadline_at": null (clear it) from absent.
type TodoUpdate struct {
	Title       *string
	Description *string
	Completed   *bool
	DeadlineAt  *LocalTime
	DeadlineSet bool
}

// TodoFilter narrows a list. Completed nil lists both; Window nil ignores deadlines.
type TodoFilter struct {
	Completed *bool
	// Window keeps todos whose deadline is at most this many days from now,
	// past-due ones included.
	Window *int
	// After keeps todos whose id is above it (keyset paging); 0 from the start.
	After int64
	// Limit is the most todos returned; 0 returns them all.
	Limit int
}

// Validate checks the fields a client sets.
func (t *Todo) Validate() error {
	if t.Title == "" {
		return Errorf(EINVALID, "title is required")
	}
	return validateText(t.Title, t.Description)
}

// Validate checks the fields the update sets.
func (u *TodoUpdate) Validate() error {
	if u.Title != nil && *u.Title == "" {
		return Errorf(EINVALID, "title must not be empty")
	}
	title, desc := "", ""
	if u.Title != nil {
		title = *u.Title
	}
	if u.Description != nil {
		desc = *u.Description
	}
	return validateText(title, desc)
}

func validateText(title, desc string) error {
	if err := ValidText("title", title); err != nil {
		return err
	}
	if err := ValidText("description", desc); err != nil {
		return err
	}
	if n := utf8.RuneCountInString(title); n > MaxTitleLen {
		return Errorf(EINVALID, "title is %d characters long; at most %d are allowed", n, MaxTitleLen)
	}
	if n := utf8.RuneCountInString(desc); n > MaxDescriptionLen {
		return Errorf(EINVALID, "description is %d characters long; at most %d are allowed", n, MaxDescriptionLen)
	}
	return nil
}

// ValidText returns an EINVALID error naming field when s holds a character
// no store can keep: NUL, which Postgres refuses in text (SQLSTATE 22021).
// Every text a client sends passes through it.
func ValidText(field, s string) error {
	if strings.IndexByte(s, 0) >= 0 {
		return Errorf(EINVALID, "%s must not contain a NUL character (\\u0000)", field)
	}
	return nil
}

// ParseTodoID parses the id of a todo in a URL. A value that is not a positive
// whole number, such as "undefined", is an ENOTFOUND error quoting it: no todo
// has that id.
func ParseTodoID(s string) (int64, error) {
	id, err := strconv.ParseInt(s, 10, 64)
	if err != nil || id <= 0 {
		return 0, Errorf(ENOTFOUND, "todo %s not found: ids are positive whole numbers", strconv.Quote(s))
	}
	return id, nil
}

// LocalTime is a time written without a zone, as the original API and its
// clients do ("2023-12-04T14:00:00"). Times are kept and shown in UTC; input
// with a zone (RFC 3339) is converted to UTC.
type LocalTime struct{ time.Time }

// LocalTimeLayout is how LocalTime is written.
const LocalTimeLayout = "2006-01-02T15:04:05"

var localTimeInputs = []string{
	time.RFC3339Nano,
	"2006-01-02T15:04:05.999999999",
	"2006-01-02 15:04:05.999999999",
	"2006-01-02T15:04",
	"2006-01-02",
}

// ParseLocalTime reads the forms a client may send: zone-less
// "2023-12-04T14:00:00" (with optional fraction), RFC 3339, or a bare date.
func ParseLocalTime(s string) (LocalTime, error) {
	for _, layout := range localTimeInputs {
		if t, err := time.Parse(layout, s); err == nil {
			return LocalTime{t.UTC()}, nil
		}
	}
	return LocalTime{}, Errorf(EINVALID, "%s is not a date and time; use 2023-12-04T14:00:00 or RFC 3339", strconv.Quote(s))
}

// MarshalJSON writes the zone-less form.
func (t LocalTime) MarshalJSON() ([]byte, error) {
	return []byte(`"` + t.UTC().Format(LocalTimeLayout) + `"`), nil
}

// UnmarshalJSON accepts what ParseLocalTime accepts.
func (t *LocalTime) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return Errorf(EINVALID, "a date and time must be a string such as \"2023-12-04T14:00:00\"")
	}
	v, err := ParseLocalTime(s)
	if err != nil {
		return err
	}
	*t = v
	return nil
}
