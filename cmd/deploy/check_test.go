package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestFindCredentials(t *testing.T) {
	dir := t.TempDir()
	write := func(name, content string) string {
		t.Helper()
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	good := write("good", "# Learner Lab\n[default]\naws_access_key_id=AKIAGOOD\naws_secret_access_key=good-secret\naws_session_token=tok\n")
	lab := write("lab", "[default]\naws_access_key_id=AKIAX\n\n[lab]\naws_access_key_id = AKIALAB\naws_secret_access_key = lab-secret\n")
	noSecret := write("nosecret", "[default]\naws_access_key_id=AKIAHALF\naws_secret_access_key=\n")
	home := filepath.Join(dir, "home")
	write("home/.aws/credentials", "[default]\naws_access_key_id=AKIAHOME\naws_secret_access_key=home-secret\n")

	tests := []struct {
		name       string
		env        map[string]string
		explicit   string
		wantSource string // "" when an error is wanted
		wantFile   string
		wantErr    string
	}{
		{"environment", map[string]string{"AWS_ACCESS_KEY_ID": "AKIAENV", "AWS_SECRET_ACCESS_KEY": "env-secret"}, "", "the environment", "", ""},
		{"key without secret", map[string]string{"AWS_ACCESS_KEY_ID": "AKIAENV"}, "", "", "", "AWS_ACCESS_KEY_ID is set but AWS_SECRET_ACCESS_KEY is not"},
		// The flag wins over everything else.
		{"explicit file", map[string]string{"AWS_ACCESS_KEY_ID": "AKIAENV"}, good, good, good, ""},
		{"explicit missing", nil, filepath.Join(dir, "absent"), "", "", "-credentials " + filepath.Join(dir, "absent") + ": open"},
		{"explicit half", nil, noSecret, "", "", "profile [default] has no aws_secret_access_key"},
		{"profile missing", map[string]string{"AWS_PROFILE": "other"}, good, "", "", `no [other] profile in it`},
		{"profile chosen", map[string]string{"AWS_PROFILE": "lab"}, lab, lab, lab, ""},
		{"shared file variable", map[string]string{"AWS_SHARED_CREDENTIALS_FILE": good}, "", good, good, ""},
		// The default location needs no hand-over: every AWS tool looks there.
		{"home", map[string]string{"HOME": home}, "", "~/.aws/credentials", "", ""},
		{"nothing", map[string]string{"HOME": filepath.Join(dir, "nohome")}, "", "", "", `none found for profile "default"`},
	}
	t.Chdir(t.TempDir()) // no ./credentials here
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := findCredentials(func(k string) string { return tt.env[k] }, tt.explicit)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("got %+v, %v; want error %q", got, err, tt.wantErr)
				}
				for _, secret := range []string{"good-secret", "lab-secret", "home-secret", "env-secret"} {
					if strings.Contains(err.Error(), secret) {
						t.Errorf("error %q quotes the secret %s", err, secret)
					}
				}
				return
			}
			if err != nil {
				t.Fatalf("got error %v, want credentials from %s", err, tt.wantSource)
			}
			if !strings.Contains(got.source, tt.wantSource) || got.file != tt.wantFile {
				t.Errorf("got source %q file %q, want source %q file %q", got.source, got.file, tt.wantSource, tt.wantFile)
			}
		})
	}
}

// TestFindCredentialsPracticalFile: the practical keeps its credentials in ./credentials.
func TestFindCredentialsPracticalFile(t *testing.T) {
	dir := t.TempDir()
	t.Chdir(dir)
	if err := os.WriteFile("credentials", []byte("[default]\naws_access_key_id=A\naws_secret_access_key=B\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	got, err := findCredentials(func(string) string { return "" }, "")
	if err != nil {
		t.Fatal(err)
	}
	if want := filepath.Join(dir, "credentials"); got.source != "./credentials" || got.file != want {
		t.Errorf("got source %q file %q, want ./credentials and %s", got.source, got.file, want)
	}
}

func TestLookPath(t *testing.T) {
	a, b := t.TempDir(), t.TempDir()
	if err := os.WriteFile(filepath.Join(a, "tool"), []byte("not executable"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Mkdir(filepath.Join(a, "dir"), 0o755); err != nil {
		t.Fatal(err)
	}
	writeScript(t, b, "tool", "true")
	writeScript(t, b, "dir", "true")
	tests := []struct {
		name, want string
	}{
		// A file without the executable bit is passed over, as the shell does.
		{"tool", filepath.Join(b, "tool")},
		// So is a directory.
		{"dir", filepath.Join(b, "dir")},
		{"absent", ""},
	}
	for _, tt := range tests {
		got, err := lookPath(tt.name, a+string(os.PathListSeparator)+b)
		if got != tt.want || (err == nil) != (tt.want != "") {
			t.Errorf("lookPath(%q): got %q, %v; want %q", tt.name, got, err, tt.want)
		}
	}
}
