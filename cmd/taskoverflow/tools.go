package main

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/taskoverflow-lab/taskoverflow/config"
)

// healthcheck GETs /api/v1/health on the port of ADDR over loopback, for a
// container's health check (the image has no curl).
func healthcheck(ctx context.Context, getenv func(string) string, stdout io.Writer) error {
	cfg, err := config.Load(getenv)
	if err != nil {
		return err
	}
	_, port, err := net.SplitHostPort(cfg.Addr)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, 3*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, "http://127.0.0.1:"+port+"/api/v1/health", nil)
	if err != nil {
		return err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return fmt.Errorf("healthcheck: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("healthcheck: %s", resp.Status)
	}
	fmt.Fprintln(stdout, "ok")
	return nil
}

// printConfig writes the configuration table (the README's) in Markdown.
func printConfig(w io.Writer) error {
	fmt.Fprintln(w, "| Variable | Default | Meaning |")
	fmt.Fprintln(w, "|---|---|---|")
	for _, v := range config.Vars() {
		def := "`" + v.Default + "`"
		if v.Default == "" {
			def = "(none)"
		}
		fmt.Fprintf(w, "| `%s` | %s | %s |\n", v.Name, def, strings.ReplaceAll(v.Help, "|", `\|`))
	}
	return nil
}
