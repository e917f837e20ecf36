package main

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/hashicorp/terraform-exec/tfexec"
)

// defaultRegistryURL is what validate probes: the registry's service discovery document.
const defaultRegistryURL = "https://registry.terraform.io/.well-known/terraform.json"

// validate runs terraform init -backend=false and terraform validate, bounded by the timeout.
// Where the Terraform registry does not answer, init cannot download the providers: validate
// says that it did not run and why, and returns nil, since that is a fact about the machine,
// not about the configuration.
func (d *driver) validate(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, d.o.Timeout)
	defer cancel()
	if err := d.step(ctx, "check", func() error { return d.check(ctx, need{}) }); err != nil {
		return err
	}
	var reachable error
	if err := d.step(ctx, "registry", func() error {
		reachable = probe(ctx, d.o.RegistryURL)
		return nil
	}); err != nil {
		return err
	}
	if reachable != nil {
		fmt.Fprintf(d.stdout, "NOT RUN: terraform validate was not run here: the Terraform registry does not answer (%v).\n"+
			"terraform init needs it to download the AWS provider. Run this where the registry is reachable.\n", reachable)
		return nil
	}
	if err := d.step(ctx, "init", func() error {
		return d.tf.Init(ctx, tfexec.Backend(false))
	}); err != nil {
		return timeoutHint(ctx, err, d.o.Timeout)
	}
	return d.step(ctx, "validate", func() error {
		out, err := d.tf.Validate(ctx)
		if err != nil {
			return timeoutHint(ctx, err, d.o.Timeout)
		}
		for _, diag := range out.Diagnostics {
			where := ""
			if diag.Range != nil {
				where = fmt.Sprintf("%s:%d: ", diag.Range.Filename, diag.Range.Start.Line)
			}
			fmt.Fprintf(d.stdout, "    %s%s: %s %s\n", where, diag.Severity, diag.Summary, diag.Detail)
		}
		if !out.Valid {
			return fmt.Errorf("the configuration is not valid (%d errors)", out.ErrorCount)
		}
		fmt.Fprintln(d.stdout, "    the configuration is valid")
		return nil
	})
}

// probe reports whether url answers at all within 10s.
func probe(ctx context.Context, url string) error {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	resp.Body.Close()
	if resp.StatusCode >= 500 {
		return fmt.Errorf("%s answers %s", url, resp.Status)
	}
	return nil
}

func timeoutHint(ctx context.Context, err error, timeout time.Duration) error {
	if errors.Is(ctx.Err(), context.DeadlineExceeded) {
		return fmt.Errorf("%w (stopped after -timeout %v)", err, timeout)
	}
	return err
}
