package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"
)

// pushImage logs docker in to the ECR registry of repo, builds the image, pushes it and
// returns its digest reference (repo@sha256:...), which changes only when the image does.
// The registry token goes from the aws CLI to docker through memory, never to the terminal.
func (d *driver) pushImage(ctx context.Context, repo, region string) (string, error) {
	host, _, _ := strings.Cut(repo, "/")
	tag := repo + ":latest"

	var token bytes.Buffer
	if err := d.command(ctx, &token, nil, d.aws, "ecr", "get-login-password", "--region", region); err != nil {
		return "", err
	}
	if err := d.command(ctx, d.stdout, &token, d.docker, "login", "--username", "AWS", "--password-stdin", host); err != nil {
		return "", err
	}
	if err := d.command(ctx, d.stdout, nil, d.docker, "build", "--platform", d.o.Platform, "--tag", tag, d.o.BuildContext); err != nil {
		return "", err
	}
	if err := d.command(ctx, d.stdout, nil, d.docker, "push", tag); err != nil {
		return "", err
	}
	var inspect bytes.Buffer
	if err := d.command(ctx, &inspect, nil, d.docker, "image", "inspect", "--format", "{{json .RepoDigests}}", tag); err != nil {
		return "", err
	}
	var digests []string
	if err := json.Unmarshal(bytes.TrimSpace(inspect.Bytes()), &digests); err != nil {
		return "", fmt.Errorf("docker image inspect %s: want a JSON list of digests, got %q", tag, firstLine(inspect.String()))
	}
	for _, ref := range digests {
		if strings.HasPrefix(ref, repo+"@sha256:") {
			return ref, nil
		}
	}
	return "", fmt.Errorf("docker image inspect %s: no digest in %s after the push (got %v)", tag, repo, digests)
}

// ecrRegion returns the region of an ECR repository URL such as
// 123456789012.dkr.ecr.us-east-1.amazonaws.com/taskoverflow, or "" when url is not one.
func ecrRegion(url string) string {
	host, _, _ := strings.Cut(url, "/")
	parts := strings.Split(host, ".")
	if len(parts) < 6 || parts[1] != "dkr" || parts[2] != "ecr" || parts[0] == "" || parts[3] == "" {
		return ""
	}
	return parts[3]
}

// command runs one program with deploy's child environment, stderr shared with the user, and
// the command line printed first. Cancelling ctx interrupts it (SIGINT) and gives it 30s to
// finish. Its error names the program and its subcommand.
func (d *driver) command(ctx context.Context, stdout io.Writer, stdin io.Reader, path string, args ...string) error {
	fmt.Fprintf(d.stdout, "    $ %s %s\n", filepath.Base(path), strings.Join(args, " "))
	cmd := exec.CommandContext(ctx, path, args...)
	cmd.Env, cmd.Stdin, cmd.Stdout, cmd.Stderr = d.childEnv, stdin, stdout, d.stderr
	cmd.Cancel = func() error { return cmd.Process.Signal(os.Interrupt) }
	cmd.WaitDelay = 30 * time.Second
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("%s %s: %w", filepath.Base(path), args[0], err)
	}
	return nil
}
