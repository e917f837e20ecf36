package main

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestUpWithImage runs up with the image step against recording stand-ins for the docker and
// aws CLIs (no Docker daemon or AWS account here): the registry is created first, docker is
// logged in with the ECR token through stdin, the image is built for linux/amd64, pushed, and
// the service is applied with the pushed digest. The token and the secret key never reach the
// terminal.
func TestUpWithImage(t *testing.T) {
	needTerraform(t)
	bin := t.TempDir()
	log := filepath.Join(t.TempDir(), "calls.log")
	writeScript(t, bin, "docker", `echo "docker $*" >> "$CALLS"
case "$1" in
version) echo 28.2.2 ;;
login) echo "login stdin: $(cat)" >> "$CALLS" ;;
image) echo '["other.example/x@sha256:ffff","123456789012.dkr.ecr.fixture-region.amazonaws.com/taskoverflow@sha256:0123abcd"]' ;;
esac`)
	writeScript(t, bin, "aws", `echo "aws $*" >> "$CALLS"
echo "aws credentials file: $AWS_SHARED_CREDENTIALS_FILE" >> "$CALLS"
printf 'ECR-TOKEN-SECRET'`)
	creds := filepath.Join(t.TempDir(), "credentials")
	if err := os.WriteFile(creds, []byte("[default]\naws_access_key_id = AKIAFILE\naws_secret_access_key = file-secret\naws_session_token = session\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	srv, _ := healthServer(t, 0)
	dir := fixture(t)

	var stdout, stderr syncBuffer
	d := newDriver(options{
		Dir:             dir,
		Vars:            []string{"endpoint=" + srv.URL},
		Yes:             true,
		CredentialsFile: creds,
		EndpointFile:    filepath.Join(t.TempDir(), ".endpoint"),
		BuildContext:    "/src/taskoverflow",
		Platform:        "linux/amd64",
		HealthTimeout:   30 * time.Second,
		HealthInterval:  10 * time.Millisecond,
		RegistryTarget:  "terraform_data.registry",
		Environ:         []string{"PATH=" + bin + string(os.PathListSeparator) + os.Getenv("PATH"), "HOME=" + t.TempDir(), "CALLS=" + log},
	}, nil, &stdout, &stderr)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if err := d.up(ctx); err != nil {
		t.Fatalf("up: %v\nstdout:\n%s\nstderr:\n%s", err, stdout.String(), stderr.String())
	}
	checkSteps(t, stdout.String(), "check", "init", "confirm", "registry", "image", "apply", "endpoint", "health")

	b, err := os.ReadFile(log)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{
		"docker version --format {{.Server.Version}}",
		"aws ecr get-login-password --region fixture-region",
		"aws credentials file: " + creds,
		"docker login --username AWS --password-stdin 123456789012.dkr.ecr.fixture-region.amazonaws.com",
		"login stdin: ECR-TOKEN-SECRET",
		"docker build --platform linux/amd64 --tag 123456789012.dkr.ecr.fixture-region.amazonaws.com/taskoverflow:latest /src/taskoverflow",
		"docker push 123456789012.dkr.ecr.fixture-region.amazonaws.com/taskoverflow:latest",
		"docker image inspect --format {{json .RepoDigests}} 123456789012.dkr.ecr.fixture-region.amazonaws.com/taskoverflow:latest",
	}
	if got := strings.Split(strings.TrimSpace(string(b)), "\n"); strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("calls:\ngot\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}

	outs, err := d.outputs(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := outs["image"], "123456789012.dkr.ecr.fixture-region.amazonaws.com/taskoverflow@sha256:0123abcd"; got != want {
		t.Errorf("image applied: got %q, want the pushed digest %q", got, want)
	}
	if got := outs["credentials_file"]; got != creds {
		t.Errorf("aws_credentials_file given to terraform: got %q, want %q", got, creds)
	}
	for _, secret := range []string{"ECR-TOKEN-SECRET", "file-secret", "session"} {
		if strings.Contains(stdout.String()+stderr.String(), secret) {
			t.Errorf("deploy printed the secret %q", secret)
		}
	}
}
