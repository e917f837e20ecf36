package manifests

import (
	"bufio"
	"bytes"
	"encoding/json"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// instruction is one Dockerfile instruction with its continuation lines joined.
type instruction struct {
	cmd  string // upper case: FROM, RUN, ...
	args string
}

// stage is one FROM ... up to the next FROM.
type stage struct {
	from         string // the FROM arguments
	instructions []instruction
}

// parseDockerfile splits the Dockerfile into stages. It understands what this project's
// Dockerfile uses: comments, backslash continuations and one instruction per logical line.
func parseDockerfile(t *testing.T) []stage {
	t.Helper()
	var stages []stage
	var logical strings.Builder
	sc := bufio.NewScanner(bytes.NewReader(readFile(t, "Dockerfile")))
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		if cont, ok := strings.CutSuffix(line, `\`); ok {
			logical.WriteString(cont + " ")
			continue
		}
		logical.WriteString(line)
		cmd, args, _ := strings.Cut(logical.String(), " ")
		logical.Reset()
		in := instruction{strings.ToUpper(cmd), strings.Join(strings.Fields(args), " ")}
		if in.cmd == "FROM" {
			stages = append(stages, stage{from: in.args})
			continue
		}
		if len(stages) == 0 {
			t.Fatalf("Dockerfile: %s before the first FROM", in.cmd)
		}
		stages[len(stages)-1].instructions = append(stages[len(stages)-1].instructions, in)
	}
	if len(stages) < 2 {
		t.Fatalf("Dockerfile: got %d stages, want a multi-stage build", len(stages))
	}
	return stages
}

// all returns the arguments of every instruction cmd in s.
func (s stage) all(cmd string) []string {
	var out []string
	for _, in := range s.instructions {
		if in.cmd == cmd {
			out = append(out, in.args)
		}
	}
	return out
}

func TestDockerfileFinalImage(t *testing.T) {
	stages := parseDockerfile(t)
	final := stages[len(stages)-1]

	base := strings.Fields(final.from)[0]
	if !strings.HasPrefix(base, "gcr.io/distroless/static") && base != "scratch" {
		t.Errorf("final stage FROM %q: want distroless static or scratch (no shell, no package manager)", base)
	}
	users := final.all("USER")
	if len(users) == 0 {
		t.Error("final stage: no USER, the app would run as root")
	}
	for _, u := range users {
		if name, _, _ := strings.Cut(u, ":"); name == "root" || name == "0" {
			t.Errorf("final stage USER %q: want a non-root user", u)
		}
	}
	if got := final.all("ENTRYPOINT"); !slices.Equal(got, []string{`["/taskoverflow"]`}) {
		t.Errorf("ENTRYPOINT: got %v, want [\"/taskoverflow\"]", got)
	}

	hc := final.all("HEALTHCHECK")
	if len(hc) != 1 {
		t.Fatalf("final stage: got %d HEALTHCHECKs, want 1", len(hc))
	}
	_, exec, ok := strings.Cut(hc[0], "CMD ")
	var argv []string
	if ok {
		ok = json.Unmarshal([]byte(exec), &argv) == nil
	}
	if !ok || !slices.Equal(argv, []string{"/taskoverflow", "healthcheck"}) {
		t.Errorf("HEALTHCHECK %q: want CMD [\"/taskoverflow\", \"healthcheck\"] (exec form, no curl in the image)", hc[0])
	}
}

func TestDockerfileStaticBuild(t *testing.T) {
	stages := parseDockerfile(t)
	var build string
	for _, s := range stages[:len(stages)-1] {
		for _, run := range s.all("RUN") {
			if strings.Contains(run, "go build") {
				build = run
			}
		}
	}
	if build == "" {
		t.Fatal("no build stage runs go build")
	}
	for _, want := range []string{"CGO_ENABLED=0", "-trimpath", "./cmd/taskoverflow"} {
		if !strings.Contains(build, want) {
			t.Errorf("go build step %q: want %s", build, want)
		}
	}
}

// TestDockerfileEnvironment: the image's defaults are names the app reads, and it logs JSON.
func TestDockerfileEnvironment(t *testing.T) {
	stages := parseDockerfile(t)
	final := stages[len(stages)-1]
	env := map[string]string{}
	for _, args := range final.all("ENV") {
		for _, kv := range strings.Fields(args) {
			k, v, ok := strings.Cut(kv, "=")
			if !ok {
				t.Fatalf("ENV %q: want NAME=value pairs", args)
			}
			env[k] = v
		}
	}
	checkNamesRead(t, "the Dockerfile's ENV", sortedKeys(env))
	if got := env["LOG_FORMAT"]; got != "json" {
		t.Errorf("ENV LOG_FORMAT: got %q, want json", got)
	}
}

// TestDockerignore: credentials, state and history never enter the build context.
func TestDockerignore(t *testing.T) {
	var patterns []string
	for _, line := range strings.Split(string(readFile(t, ".dockerignore")), "\n") {
		if line = strings.TrimSpace(line); line != "" && !strings.HasPrefix(line, "#") {
			patterns = append(patterns, line)
		}
	}
	tests := []struct {
		path string
		want bool // excluded
	}{
		// The practical keeps Learner Lab credentials in the repository root.
		{"credentials", true},
		{".git", true},
		{"terraform/terraform.tfstate", true},
		{".endpoint", true},
		// What the build needs stays in.
		{"go.mod", false},
		{"go.sum", false},
		{"cmd/taskoverflow/main.go", false},
		{"config/config.go", false},
	}
	for _, tt := range tests {
		if got := excluded(patterns, tt.path); got != tt.want {
			t.Errorf("%s excluded: got %v, want %v", tt.path, got, tt.want)
		}
	}
}

// excluded reports whether path, or a directory above it, matches one of the patterns as the
// Docker build context does for the patterns this project uses (no negations).
func excluded(patterns []string, path string) bool {
	for p := path; p != "." && p != "/"; p = filepath.Dir(p) {
		for _, pat := range patterns {
			pat = strings.TrimPrefix(pat, "**/")
			if ok, _ := filepath.Match(pat, p); ok {
				return true
			}
			if ok, _ := filepath.Match(pat, filepath.Base(p)); ok && strings.Contains(pat, "*") {
				return true
			}
		}
	}
	return false
}

// TestDockerfileLoadtestTarget: `docker build --target loadtest` gives the image the shard Job
// and the ECS load-generator task run: loadtest at /loadtest, static, non-root; the default
// target stays the API's image (checked above as the final stage).
func TestDockerfileLoadtestTarget(t *testing.T) {
	stages := parseDockerfile(t)
	var lt *stage
	for i, s := range stages {
		if f := strings.Fields(s.from); len(f) == 3 && strings.EqualFold(f[1], "AS") && f[2] == "loadtest" {
			if i == len(stages)-1 {
				t.Error("the loadtest stage is the last one: a plain docker build would give the load generator, not the API")
			}
			lt = &stages[i]
		}
	}
	if lt == nil {
		t.Fatal("no stage named loadtest (docker build --target loadtest)")
	}
	if base := strings.Fields(lt.from)[0]; !strings.HasPrefix(base, "gcr.io/distroless/static") {
		t.Errorf("loadtest stage FROM %q: want distroless static", base)
	}
	if got := lt.all("ENTRYPOINT"); !slices.Equal(got, []string{`["/loadtest"]`}) {
		t.Errorf("loadtest stage ENTRYPOINT: got %v, want [\"/loadtest\"] (loadtest k8s and the ECS task pass run ... as arguments)", got)
	}
	if got := lt.all("COPY"); !slices.Contains(got, "--from=build /out/loadtest /loadtest") {
		t.Errorf("loadtest stage COPY %v: want --from=build /out/loadtest /loadtest", got)
	}
	users := lt.all("USER")
	if len(users) == 0 || strings.HasPrefix(users[0], "root") || strings.HasPrefix(users[0], "0") {
		t.Errorf("loadtest stage USER %v: want a non-root user", users)
	}
	var built bool
	for _, s := range stages {
		for _, run := range s.all("RUN") {
			if strings.Contains(run, "CGO_ENABLED=0") && strings.Contains(run, "-o /out/loadtest ./cmd/loadtest") {
				built = true
			}
		}
	}
	if !built {
		t.Error("no build stage runs CGO_ENABLED=0 go build -o /out/loadtest ./cmd/loadtest")
	}
}
