package main

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"github.com/hashicorp/go-version"
	"github.com/hashicorp/terraform-exec/tfexec"
)

// need says which prerequisites a command has beyond terraform and its configuration.
type need struct {
	docker bool // the docker CLI with a daemon, and the aws CLI that logs it in to ECR
	aws    bool // AWS credentials
}

// minTerraform is the oldest terraform the configuration is written for.
var minTerraform = version.Must(version.NewVersion("1.5.0"))

// check finds every prerequisite up front and reports all that are missing in one error,
// each saying what to do. It prints what it found, never a secret.
func (d *driver) check(ctx context.Context, n need) error {
	var missing []string
	if err := d.checkTerraform(ctx); err != nil {
		missing = append(missing, err.Error())
	}
	if n.docker {
		if err := d.checkDocker(ctx); err != nil {
			missing = append(missing, err.Error())
		}
		if p, err := lookPath("aws", d.getenv("PATH")); err != nil {
			missing = append(missing, "aws: the AWS CLI is not in PATH; it logs docker in to ECR (install it: https://docs.aws.amazon.com/cli/latest/userguide/getting-started-install.html), or pass -skip-image to run an image pushed before")
		} else {
			d.aws = p
			fmt.Fprintf(d.stdout, "    aws CLI %s\n", p)
		}
	}
	d.childEnv = d.o.Environ
	if n.aws {
		creds, err := findCredentials(d.getenv, d.o.CredentialsFile)
		if err != nil {
			missing = append(missing, "AWS credentials: "+err.Error())
		} else {
			fmt.Fprintf(d.stdout, "    AWS credentials from %s\n", creds.source)
			if creds.file != "" {
				d.childEnv = withEnv(d.o.Environ, "AWS_SHARED_CREDENTIALS_FILE", creds.file)
				d.tfVars = append(d.tfVars, "aws_credentials_file="+creds.file)
			}
		}
	}
	if len(missing) > 0 {
		return fmt.Errorf("missing prerequisites:\n  - %s", strings.Join(missing, "\n  - "))
	}
	return nil
}

// checkTerraform finds terraform and the configuration directory and sets d.tf.
func (d *driver) checkTerraform(ctx context.Context) error {
	path, err := lookPath("terraform", d.getenv("PATH"))
	if err != nil {
		return errors.New("terraform: not in PATH; install Terraform 1.5 or later: https://developer.hashicorp.com/terraform/install")
	}
	tfFiles, _ := filepath.Glob(filepath.Join(d.o.Dir, "*.tf"))
	if len(tfFiles) == 0 {
		return fmt.Errorf("terraform configuration: no *.tf files in %s (run from the repository root, or pass -dir)", d.o.Dir)
	}
	tf, err := tfexec.NewTerraform(d.o.Dir, path)
	if err != nil {
		return fmt.Errorf("terraform: %v", err)
	}
	v, _, err := tf.Version(ctx, false)
	if err != nil {
		return fmt.Errorf("terraform: %s does not run: %v", path, err)
	}
	if v.LessThan(minTerraform) {
		return fmt.Errorf("terraform: %s is version %s, want %s or later", path, v, minTerraform)
	}
	tf.SetStdout(d.stdout)
	tf.SetStderr(d.stderr)
	d.tf = tf
	fmt.Fprintf(d.stdout, "    terraform %s (%s), configuration %s\n", v, path, d.o.Dir)
	return nil
}

// checkDocker finds the docker CLI and makes sure it reaches a daemon.
func (d *driver) checkDocker(ctx context.Context) error {
	path, err := lookPath("docker", d.getenv("PATH"))
	if err != nil {
		return errors.New("docker: not in PATH; the image is built and pushed with the docker CLI (install Docker: https://docs.docker.com/get-docker/), or pass -skip-image to run an image pushed before")
	}
	ctx, cancel := context.WithTimeout(ctx, 15*time.Second)
	defer cancel()
	var out, errOut bytes.Buffer
	cmd := exec.CommandContext(ctx, path, "version", "--format", "{{.Server.Version}}")
	cmd.Env, cmd.Stdout, cmd.Stderr = d.o.Environ, &out, &errOut
	if err := cmd.Run(); err != nil {
		reason := firstLine(errOut.String())
		if reason == "" {
			reason = err.Error()
		}
		return fmt.Errorf("docker: the CLI (%s) reaches no Docker daemon: %s; start Docker, or pass -skip-image to run an image pushed before", path, reason)
	}
	d.docker = path
	fmt.Fprintf(d.stdout, "    docker %s (daemon %s)\n", path, strings.TrimSpace(out.String()))
	return nil
}

// credentials says where the AWS credentials come from.
type credentials struct {
	source string // for people, such as "./credentials"
	file   string // shared credentials file to hand on, absolute; "" when none is needed
}

// findCredentials looks for AWS credentials where the AWS tools do, plus the practical's
// ./credentials file, without reading AWS. It returns where it found them, or an error listing
// where it looked. The profile is AWS_PROFILE, else default.
func findCredentials(getenv func(string) string, explicit string) (credentials, error) {
	profile := getenv("AWS_PROFILE")
	if profile == "" {
		profile = "default"
	}
	if explicit != "" {
		abs, err := filepath.Abs(explicit)
		if err != nil {
			return credentials{}, err
		}
		if err := checkCredentialsFile(abs, profile); err != nil {
			return credentials{}, fmt.Errorf("-credentials %s: %w", explicit, err)
		}
		return credentials{source: explicit, file: abs}, nil
	}
	if getenv("AWS_ACCESS_KEY_ID") != "" {
		if getenv("AWS_SECRET_ACCESS_KEY") == "" {
			return credentials{}, errors.New("AWS_ACCESS_KEY_ID is set but AWS_SECRET_ACCESS_KEY is not")
		}
		return credentials{source: "the environment (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY)"}, nil
	}
	if f := getenv("AWS_SHARED_CREDENTIALS_FILE"); f != "" {
		abs, err := filepath.Abs(f)
		if err != nil {
			return credentials{}, err
		}
		if err := checkCredentialsFile(abs, profile); err != nil {
			return credentials{}, fmt.Errorf("AWS_SHARED_CREDENTIALS_FILE=%s: %w", f, err)
		}
		return credentials{source: f, file: abs}, nil
	}
	// The practical keeps the Learner Lab credentials in the repository root (git-ignored).
	if abs, err := filepath.Abs("credentials"); err == nil {
		if _, statErr := os.Stat(abs); statErr == nil {
			if err := checkCredentialsFile(abs, profile); err != nil {
				return credentials{}, fmt.Errorf("./credentials: %w", err)
			}
			return credentials{source: "./credentials", file: abs}, nil
		}
	}
	if home := getenv("HOME"); home != "" {
		f := filepath.Join(home, ".aws", "credentials")
		if _, statErr := os.Stat(f); statErr == nil {
			if err := checkCredentialsFile(f, profile); err != nil {
				return credentials{}, fmt.Errorf("~/.aws/credentials: %w", err)
			}
			return credentials{source: "~/.aws/credentials"}, nil
		}
	}
	return credentials{}, fmt.Errorf("none found for profile %q: looked at -credentials, AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, AWS_SHARED_CREDENTIALS_FILE, ./credentials and ~/.aws/credentials. In Learner Lab: start the lab, open AWS Details, AWS CLI: Show, and paste the block into ./credentials", profile)
}

// checkCredentialsFile makes sure an INI credentials file has the profile with both keys. Its
// errors never quote a value.
func checkCredentialsFile(path, profile string) error {
	b, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	var inProfile, found bool
	keys := map[string]bool{}
	sc := bufio.NewScanner(bytes.NewReader(b))
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") || strings.HasPrefix(line, ";") {
			continue
		}
		if name, ok := strings.CutPrefix(line, "["); ok {
			name = strings.TrimSpace(strings.TrimSuffix(name, "]"))
			inProfile = name == profile
			found = found || inProfile
			continue
		}
		if k, v, ok := strings.Cut(line, "="); ok && inProfile && strings.TrimSpace(v) != "" {
			keys[strings.ToLower(strings.TrimSpace(k))] = true
		}
	}
	if !found {
		return fmt.Errorf("no [%s] profile in it", profile)
	}
	for _, k := range []string{"aws_access_key_id", "aws_secret_access_key"} {
		if !keys[k] {
			return fmt.Errorf("profile [%s] has no %s", profile, k)
		}
	}
	return nil
}

// lookPath finds an executable in the directories of pathList, as a shell would.
func lookPath(name, pathList string) (string, error) {
	for _, dir := range filepath.SplitList(pathList) {
		if dir == "" {
			dir = "."
		}
		p := filepath.Join(dir, name)
		if fi, err := os.Stat(p); err == nil && !fi.IsDir() && fi.Mode()&0o111 != 0 {
			return p, nil
		}
	}
	return "", fmt.Errorf("%s: not found in PATH", name)
}

// withEnv returns environ with name set to value, replacing an earlier setting.
func withEnv(environ []string, name, value string) []string {
	out := make([]string, 0, len(environ)+1)
	for _, kv := range environ {
		if !strings.HasPrefix(kv, name+"=") {
			out = append(out, kv)
		}
	}
	return append(out, name+"="+value)
}

func firstLine(s string) string {
	line, _, _ := strings.Cut(strings.TrimSpace(s), "\n")
	return line
}
