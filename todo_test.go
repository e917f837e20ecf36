package taskoverflow

import (
	"encoding/json"
	"testing"
)

func TestParseTodoID(t *testing.T) {
	tests := []struct {
		in   string
		want int64
		code string
	}{
		{"1", 1, ""},
		{"9223372036854775807", 9223372036854775807, ""},
		{"undefined", 0, ENOTFOUND}, // the practical's script bug
		{"0", 0, ENOTFOUND},
		{"-4", 0, ENOTFOUND},
		{"9223372036854775808", 0, ENOTFOUND},
		{"", 0, ENOTFOUND},
		{"1.5", 0, ENOTFOUND},
	}
	for _, tt := range tests {
		got, err := ParseTodoID(tt.in)
		if got != tt.want || ErrorCode(err) != tt.code {
			t.Errorf("ParseTodoID(%q): got %d, %v; want %d with code %q", tt.in, got, err, tt.want, tt.code)
		}
	}
	_, err := ParseTodoID("undefined")
	if want := `todo "undefined" not found: ids are positive whole numbers`; ErrorMessage(err) != want {
		t.Errorf("message: got %q, want %q", ErrorMessage(err), want)
	}
}

func FuzzParseTodoID(f *testing.F) {
	for _, s := range []string{"1", "undefined", "-0", "+1", "0x10", "1_000"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		id, err := ParseTodoID(s)
		if err == nil && id <= 0 {
			t.Fatalf("ParseTodoID(%q) = %d without error", s, id)
		}
		if err != nil && ErrorCode(err) != ENOTFOUND {
			t.Fatalf("ParseTodoID(%q): code %q, want not_found", s, ErrorCode(err))
		}
	})
}

func TestLocalTime(t *testing.T) {
	tests := []struct {
		in, want string
		ok       bool
	}{
		{"2023-12-04T14:00:00", "2023-12-04T14:00:00", true}, // what the practical sends
		{"2023-12-04T14:00:00.123456", "2023-12-04T14:00:00", true},
		{"2023-12-05T00:00:00+10:00", "2023-12-04T14:00:00", true},
		{"2023-12-04T14:00:00Z", "2023-12-04T14:00:00", true},
		{"2023-12-04", "2023-12-04T00:00:00", true},
		{"04/12/2023", "", false},
		{"2023-13-01T00:00:00", "", false},
	}
	for _, tt := range tests {
		var got LocalTime
		err := json.Unmarshal([]byte(`"`+tt.in+`"`), &got)
		if (err == nil) != tt.ok {
			t.Errorf("%q: got error %v, want ok=%v", tt.in, err, tt.ok)
			continue
		}
		if !tt.ok {
			continue
		}
		b, _ := json.Marshal(got)
		if string(b) != `"`+tt.want+`"` {
			t.Errorf("%q: got %s, want %q", tt.in, b, tt.want)
		}
	}
}
