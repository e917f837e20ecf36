// Command deploy puts TaskOverflow on AWS with the Terraform configuration in terraform/,
// driving the terraform CLI through terraform-exec and the docker and aws CLIs for the image.
//
//	deploy up       check prerequisites, init, confirm, create the image registry, build and
//	                push the image, apply, wait for /api/v1/health through the load balancer,
//	                write the endpoint to .endpoint and print ENDPOINT=...
//	deploy output   print the deployment's outputs (endpoint, log group, region, ...)
//	deploy down     destroy everything, after a confirmation
//	deploy loadtest run a scenario as one ECS task per shard, merge the shards' summaries from
//	                S3, judge the thresholds once (exit 99 crossed, 4 incomplete)
//	deploy validate terraform init -backend=false && terraform validate, when the Terraform
//	                registry answers; otherwise say that validation was not run and why
//
// The first SIGINT or SIGTERM asks terraform to stop gracefully (it saves its state); a second
// one ends deploy at once.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	go func() {
		<-ctx.Done()
		stop() // the next signal gets the default action: exit at once
	}()
	err := run(ctx, os.Args[1:], os.Environ(), os.Stdin, os.Stdout, os.Stderr)
	os.Exit(exitCode(err, os.Stderr))
}

// exitCode reports err on stderr and returns the process exit code: 0 on success, 2 for a
// usage error, deploy loadtest's verdict (99 a threshold crossed, 4 incomplete), 1 for any
// other failure.
func exitCode(err error, stderr io.Writer) int {
	if err == nil {
		return 0
	}
	fmt.Fprintln(stderr, "deploy:", err)
	var exit exitError
	if errors.As(err, &exit) {
		return exit.code
	}
	var usage usageError
	if errors.As(err, &usage) {
		return 2
	}
	return 1
}
