package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"
	"time"

	"github.com/hashicorp/terraform-exec/tfexec"
)

// options is everything one deploy command needs; run fills it from the command line and
// tests fill it directly.
type options struct {
	Dir             string   // the Terraform configuration
	Vars            []string // name=value assignments passed with -var
	VarFile         string
	Yes             bool   // skip confirmations
	CredentialsFile string // explicit AWS shared credentials file
	EndpointFile    string // where up writes the endpoint, down removes it
	SkipImage       bool   // up: do not build and push the image
	BuildContext    string
	Platform        string
	HealthTimeout   time.Duration
	HealthInterval  time.Duration
	Timeout         time.Duration // validate: bound on init and validate
	RegistryURL     string        // validate: probed to tell whether the registry answers
	// RegistryTarget is the resource up applies first, so that the image can be pushed
	// before the service that runs it is created.
	RegistryTarget string
	// Environ is the environment of deploy and of the programs it starts (NAME=value).
	// Terraform itself inherits the process environment, as terraform-exec arranges.
	Environ []string
}

// driver runs the steps of one deploy command and reports them as it goes.
type driver struct {
	o      options
	env    map[string]string
	stdin  *bufio.Reader
	stdout io.Writer
	stderr io.Writer

	// Set by check.
	tf       *tfexec.Terraform
	docker   string   // path of the docker CLI
	aws      string   // path of the aws CLI
	childEnv []string // environment of docker and aws
	tfVars   []string // assignments deploy adds, such as aws_credentials_file
}

func newDriver(o options, stdin io.Reader, stdout, stderr io.Writer) *driver {
	if o.RegistryTarget == "" {
		o.RegistryTarget = "aws_ecr_repository.app"
	}
	env := map[string]string{}
	for _, kv := range o.Environ {
		if k, v, ok := strings.Cut(kv, "="); ok {
			env[k] = v
		}
	}
	if stdin == nil {
		stdin = strings.NewReader("")
	}
	return &driver{o: o, env: env, stdin: bufio.NewReader(stdin), stdout: stdout, stderr: stderr}
}

func (d *driver) getenv(name string) string { return d.env[name] }

// step prints the step's name, runs it and names the step in its error. When ctx was
// cancelled, the error says so and what state the deployment is left in.
func (d *driver) step(ctx context.Context, name string, f func() error) error {
	fmt.Fprintf(d.stdout, "==> %s\n", name)
	err := f()
	if err == nil {
		return nil
	}
	if errors.Is(ctx.Err(), context.Canceled) {
		return fmt.Errorf("step %s: interrupted; terraform was asked to stop and keeps its state: run the command again to carry on, or deploy down: %w", name, context.Canceled)
	}
	return fmt.Errorf("step %s: %w", name, err)
}

// up creates or updates the deployment and waits until it answers.
func (d *driver) up(ctx context.Context) error {
	if err := d.step(ctx, "check", func() error {
		return d.check(ctx, need{docker: !d.o.SkipImage, aws: true})
	}); err != nil {
		return err
	}
	if err := d.step(ctx, "init", func() error { return d.tf.Init(ctx) }); err != nil {
		return err
	}
	if err := d.step(ctx, "confirm", func() error {
		return d.confirm(ctx, "This creates or updates AWS resources that cost money while they exist:\n"+
			"a load balancer, Fargate tasks, an RDS Postgres instance, an ElastiCache Redis node,\n"+
			"an ECR repository and a CloudWatch log group. Run deploy down when you are done.\nContinue?")
	}); err != nil {
		return err
	}

	vars := d.vars()
	if !d.o.SkipImage {
		var repo, region string
		if err := d.step(ctx, "registry", func() error {
			if err := d.tf.Apply(ctx, append(applyVars(vars, d.o.VarFile), tfexec.Target(d.o.RegistryTarget))...); err != nil {
				return err
			}
			outs, err := d.outputs(ctx)
			if err != nil {
				return err
			}
			// A targeted apply refreshes only the outputs of what it targets.
			repo = outs["ecr_repository_url"]
			if region = ecrRegion(repo); region == "" {
				return fmt.Errorf("output ecr_repository_url %q is not an ECR repository URL (<account>.dkr.ecr.<region>.amazonaws.com/<name>)", repo)
			}
			return nil
		}); err != nil {
			return err
		}
		if err := d.step(ctx, "image", func() error {
			ref, err := d.pushImage(ctx, repo, region)
			if err != nil {
				return err
			}
			fmt.Fprintf(d.stdout, "    image %s\n", ref)
			vars = append(vars, "image="+ref)
			return nil
		}); err != nil {
			return err
		}
	}

	if err := d.step(ctx, "apply", func() error {
		return d.tf.Apply(ctx, applyVars(vars, d.o.VarFile)...)
	}); err != nil {
		return err
	}

	var endpoint, logGroup string
	if err := d.step(ctx, "endpoint", func() error {
		outs, err := d.outputs(ctx)
		if err != nil {
			return err
		}
		endpoint, logGroup = strings.TrimRight(outs["endpoint"], "/"), outs["log_group"]
		if endpoint == "" {
			return errors.New("the configuration has no endpoint output")
		}
		if err := os.WriteFile(d.o.EndpointFile, []byte(endpoint+"\n"), 0o644); err != nil {
			return err
		}
		fmt.Fprintf(d.stdout, "    written to %s\n", d.o.EndpointFile)
		return nil
	}); err != nil {
		return err
	}

	if err := d.step(ctx, "health", func() error {
		err := waitHealthy(ctx, endpoint+"/api/v1/health", d.o.HealthTimeout, d.o.HealthInterval, d.stdout)
		if err != nil && logGroup != "" {
			err = fmt.Errorf("%w (the tasks' logs are in the CloudWatch log group %s)", err, logGroup)
		}
		return err
	}); err != nil {
		return err
	}
	fmt.Fprintf(d.stdout, "ENDPOINT=%s\n", endpoint)
	return nil
}

// output prints the deployment's outputs, one name = value per line.
func (d *driver) output(ctx context.Context) error {
	if err := d.step(ctx, "check", func() error { return d.check(ctx, need{}) }); err != nil {
		return err
	}
	return d.step(ctx, "output", func() error {
		outs, err := d.rawOutputs(ctx)
		if err != nil {
			return err
		}
		if len(outs) == 0 {
			fmt.Fprintf(d.stdout, "no outputs: nothing is deployed from %s (deploy up creates it)\n", d.o.Dir)
			return nil
		}
		names := make([]string, 0, len(outs))
		for name := range outs {
			names = append(names, name)
		}
		sort.Strings(names)
		for _, name := range names {
			fmt.Fprintf(d.stdout, "%s = %s\n", name, outputText(outs[name]))
		}
		return nil
	})
}

// down destroys the deployment and removes the endpoint file.
func (d *driver) down(ctx context.Context) error {
	if err := d.step(ctx, "check", func() error { return d.check(ctx, need{aws: true}) }); err != nil {
		return err
	}
	if err := d.step(ctx, "init", func() error { return d.tf.Init(ctx) }); err != nil {
		return err
	}
	if err := d.step(ctx, "confirm", func() error {
		return d.confirm(ctx, fmt.Sprintf("This destroys everything deployed from %s, the database and its data included.\nContinue?", d.o.Dir))
	}); err != nil {
		return err
	}
	if err := d.step(ctx, "destroy", func() error {
		return d.tf.Destroy(ctx, destroyVars(d.vars(), d.o.VarFile)...)
	}); err != nil {
		return err
	}
	switch err := os.Remove(d.o.EndpointFile); {
	case err == nil:
		fmt.Fprintf(d.stdout, "removed %s\n", d.o.EndpointFile)
	case !errors.Is(err, os.ErrNotExist):
		return fmt.Errorf("remove %s: %w", d.o.EndpointFile, err)
	}
	fmt.Fprintln(d.stdout, "destroyed")
	return nil
}

// confirm asks question on stderr and reads the answer from stdin; anything but y or yes, or
// no answer at all, is a refusal.
func (d *driver) confirm(ctx context.Context, question string) error {
	if d.o.Yes {
		fmt.Fprintln(d.stdout, "    confirmed by -y")
		return nil
	}
	fmt.Fprintf(d.stderr, "%s [y/N] ", question)
	answer := make(chan string, 1)
	go func() {
		line, _ := d.stdin.ReadString('\n')
		answer <- line
	}()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case line := <-answer:
		switch strings.ToLower(strings.TrimSpace(line)) {
		case "y", "yes":
			return nil
		case "":
			return errors.New("not confirmed: no answer (pass -y to go ahead without asking)")
		}
		return errors.New("not confirmed")
	}
}

// vars returns the -var assignments: the user's, then deploy's own.
func (d *driver) vars() []string {
	return append(append([]string(nil), d.o.Vars...), d.tfVars...)
}

// rawOutputs returns the configuration's outputs without echoing terraform's JSON.
func (d *driver) rawOutputs(ctx context.Context) (map[string]tfexec.OutputMeta, error) {
	d.tf.SetStdout(io.Discard)
	defer d.tf.SetStdout(d.stdout)
	return d.tf.Output(ctx)
}

// outputs returns the string outputs of the configuration.
func (d *driver) outputs(ctx context.Context) (map[string]string, error) {
	outs, err := d.rawOutputs(ctx)
	if err != nil {
		return nil, err
	}
	m := make(map[string]string, len(outs))
	for name, o := range outs {
		var s string
		if !o.Sensitive && json.Unmarshal(o.Value, &s) == nil {
			m[name] = s
		}
	}
	return m, nil
}

// outputText is how output prints one value: strings bare, other values as JSON, and
// sensitive values not at all.
func outputText(o tfexec.OutputMeta) string {
	if o.Sensitive {
		return "(sensitive, not shown)"
	}
	var s string
	if json.Unmarshal(o.Value, &s) == nil {
		return s
	}
	return string(o.Value)
}

func applyVars(vars []string, varFile string) []tfexec.ApplyOption {
	var opts []tfexec.ApplyOption
	if varFile != "" {
		opts = append(opts, tfexec.VarFile(varFile))
	}
	for _, v := range vars {
		opts = append(opts, tfexec.Var(v))
	}
	return opts
}

func destroyVars(vars []string, varFile string) []tfexec.DestroyOption {
	var opts []tfexec.DestroyOption
	if varFile != "" {
		opts = append(opts, tfexec.VarFile(varFile))
	}
	for _, v := range vars {
		opts = append(opts, tfexec.Var(v))
	}
	return opts
}
