package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"path/filepath"
	"strings"
	"time"

	"github.com/taskoverflow-lab/taskoverflow/internal/version"
)

// usageError is a mistake in the command line; it exits with status 2.
type usageError struct{ msg string }

func (e usageError) Error() string { return e.msg }

const usageText = `usage: deploy <command> [flags]

commands:
  up        create or update the AWS deployment and wait until it answers
  output    print the deployment's outputs
  down      destroy the deployment
  validate  check the Terraform configuration (needs the Terraform registry)
  loadtest  run a scenario as --shards ECS tasks (loadgen_enabled), merge, judge once:
            deploy loadtest --shards 3 --scenario NAME [flags] [-- loadtest run flags]
  version   print the version (also -version)

Run deploy <command> -h for the command's flags.
`

// varFlags collects repeated -var name=value flags.
type varFlags []string

func (v *varFlags) String() string { return strings.Join(*v, " ") }

func (v *varFlags) Set(s string) error {
	name, _, ok := strings.Cut(s, "=")
	if !ok || name == "" {
		return fmt.Errorf("want name=value, got %q", s)
	}
	*v = append(*v, s)
	return nil
}

// run executes one deploy command. environ is the environment the command and the programs it
// starts see, as NAME=value pairs.
func run(ctx context.Context, args, environ []string, stdin io.Reader, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		fmt.Fprint(stderr, usageText)
		return usageError{"no command given"}
	}
	cmd, args := args[0], args[1:]
	if version.IsRequest(cmd) {
		fmt.Fprintln(stdout, version.Line("deploy"))
		return nil
	}
	switch cmd {
	case "-h", "-help", "--help", "help":
		fmt.Fprint(stdout, usageText)
		return nil
	case "up", "output", "down", "validate":
	case "loadtest":
		return runLoadtest(ctx, args, environ, stdout, stderr)
	default:
		fmt.Fprint(stderr, usageText)
		return usageError{fmt.Sprintf("unknown command %q", cmd)}
	}

	o := options{Environ: environ}
	fs := flag.NewFlagSet("deploy "+cmd, flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&o.Dir, "dir", "terraform", "directory of the Terraform configuration")
	if cmd != "validate" {
		fs.Var((*varFlags)(&o.Vars), "var", "set a Terraform variable, `name=value` (repeatable)")
		fs.StringVar(&o.VarFile, "var-file", "", "Terraform variables file (terraform.tfvars in -dir is read anyway)")
	}
	if cmd == "up" || cmd == "down" {
		fs.BoolVar(&o.Yes, "y", false, "do not ask for confirmation")
		fs.StringVar(&o.CredentialsFile, "credentials", "", "AWS credentials file (default: AWS_* variables, AWS_SHARED_CREDENTIALS_FILE, ./credentials, ~/.aws/credentials)")
		fs.StringVar(&o.EndpointFile, "endpoint-file", ".endpoint", "file the endpoint is written to (make loadtest reads it)")
	}
	if cmd == "up" {
		fs.BoolVar(&o.SkipImage, "skip-image", false, "do not build and push the image; the service runs the image variable (default <repository>:latest)")
		fs.StringVar(&o.BuildContext, "context", ".", "docker build context (the repository root)")
		fs.StringVar(&o.Platform, "platform", "linux/amd64", "platform the image is built for (the task runs X86_64)")
		fs.DurationVar(&o.HealthTimeout, "health-timeout", 10*time.Minute, "how long to wait for /api/v1/health through the load balancer")
		fs.DurationVar(&o.HealthInterval, "health-interval", 5*time.Second, "pause between health checks")
	}
	if cmd == "validate" {
		fs.DurationVar(&o.Timeout, "timeout", 5*time.Minute, "bound on init and validate together")
		fs.StringVar(&o.RegistryURL, "registry", defaultRegistryURL, "URL probed to tell whether the Terraform registry answers")
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil
		}
		return usageError{err.Error()}
	}
	if o.VarFile != "" {
		// terraform runs in -dir: a relative path must not change meaning.
		abs, err := filepath.Abs(o.VarFile)
		if err != nil {
			return usageError{fmt.Sprintf("-var-file %s: %v", o.VarFile, err)}
		}
		o.VarFile = abs
	}
	if fs.NArg() > 0 {
		return usageError{fmt.Sprintf("deploy %s: unexpected argument %q", cmd, fs.Arg(0))}
	}
	if cmd == "up" && (o.HealthTimeout <= 0 || o.HealthInterval <= 0) {
		return usageError{"deploy up: -health-timeout and -health-interval must be above zero"}
	}
	if cmd == "validate" && o.Timeout <= 0 {
		return usageError{"deploy validate: -timeout must be above zero"}
	}

	d := newDriver(o, stdin, stdout, stderr)
	var err error
	switch cmd {
	case "up":
		err = d.up(ctx)
	case "output":
		err = d.output(ctx)
	case "down":
		err = d.down(ctx)
	case "validate":
		err = d.validate(ctx)
	}
	if err != nil {
		return fmt.Errorf("%s: %w", cmd, err)
	}
	return nil
}
