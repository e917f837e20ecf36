package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/taskoverflow-lab/taskoverflow/internal/cli"
	"github.com/taskoverflow-lab/taskoverflow/lab"
)

// lookupCase returns the one case args name, or an exit code after a usage message.
func lookupCase(cmd string, names []string, stderr io.Writer) (lab.Case, int) {
	if len(names) != 1 {
		fmt.Fprintf(stderr, "lab %s: name one case (cases: %s)\n", cmd, joinNames())
		return lab.Case{}, cli.ExitUsage
	}
	c, ok := lab.Lookup(names[0])
	if !ok {
		fmt.Fprintf(stderr, "lab %s: no case %s (cases: %s)\n", cmd, names[0], joinNames())
		return lab.Case{}, cli.ExitUsage
	}
	return c, cli.ExitOK
}

func joinNames() string {
	s := ""
	for i, n := range lab.CaseNames() {
		if i > 0 {
			s += ", "
		}
		s += n
	}
	return s
}

func runInit(args []string, stdout, stderr io.Writer) int {
	fs := cli.NewFlagSet("lab init", "lab init CASE [-o FILE] [-f]", stderr)
	out := fs.String("o", "", "write the settings to `FILE` (default: CASE.env in the current directory); for a plan exercise, the plan to DIR/main.go (default: exercises/NAME)")
	force := fs.Bool("f", false, "overwrite FILE if it exists")
	names, err := cli.ParseInterleaved(fs, args)
	if err != nil {
		return cli.FlagExit(err)
	}
	if len(names) == 1 {
		if e, ok := lab.LookupPlanExercise(names[0]); ok {
			return initPlan(e, *out, *force, stdout, stderr)
		}
	}
	c, code := lookupCase("init", names, stderr)
	if code != cli.ExitOK {
		return code
	}
	if !c.Verifiable() {
		fmt.Fprintf(stderr, "lab init: %s has no settings to change: its fix is in the load plan (see lab workbook %s)\n", c.Name, c.Name)
		return cli.ExitUsage
	}
	path := *out
	if path == "" {
		path = c.Name + ".env"
	}
	flags := os.O_WRONLY | os.O_CREATE | os.O_EXCL
	if *force {
		flags = os.O_WRONLY | os.O_CREATE | os.O_TRUNC
	}
	f, err := os.OpenFile(path, flags, 0o644)
	if errors.Is(err, os.ErrExist) {
		fmt.Fprintf(stderr, "lab init: %s exists; -f overwrites it\n", path)
		return cli.ExitUsage
	}
	if err != nil {
		fmt.Fprintf(stderr, "lab init: %v\n", err)
		return cli.ExitFailure
	}
	header := fmt.Sprintf("%s: the settings of the broken run, to start from.\n%s\n"+
		"Change only the settings under \"Yours to change\", then: lab verify %s --settings %s",
		c.Name, c.Story, c.Name, path)
	err = lab.WriteSettings(f, c, c.BrokenSettings(), header)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		fmt.Fprintf(stderr, "lab init: %v\n", err)
		return cli.ExitFailure
	}
	fmt.Fprintf(stdout, "wrote %s\n", path)
	return cli.ExitOK
}

// readSettings reads and checks a settings file; its error names the file and line.
func readSettings(path string) (map[string]string, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	s, err := lab.ParseSettings(f)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return s, nil
}

func runVerify(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := cli.NewFlagSet("lab verify", "lab verify CASE --settings FILE | --plan DIR [--quick] [--json] [--broken-runs DIR]", stderr)
	settingsPath := fs.String("settings", "", "your settings `FILE` (KEY=value lines; lab init CASE writes one to start from)")
	planDir := fs.String("plan", "", "your load plan's `DIR`, a Go plan on loadtests.Main (exercises/NAME), for an exercise whose fix is in the plan")
	quick := fs.Bool("quick", false, "run the quick sizes, as CI does")
	asJSON := fs.Bool("json", false, "print the verification as JSON")
	binary := fs.String("binary", "", "the API server `BINARY` (default: build ./cmd/taskoverflow)")
	brokenRuns := fs.String("broken-runs", "", "keep the shipped broken run (the handout's, for a plan) in `DIR` and judge later verifications on this machine against it")
	names, err := cli.ParseInterleaved(fs, args)
	if err != nil {
		return cli.FlagExit(err)
	}
	if fi, err := os.Stat(*brokenRuns); *brokenRuns != "" && err == nil && !fi.IsDir() {
		fmt.Fprintf(stderr, "lab verify: --broken-runs %s: not a directory\n", *brokenRuns)
		return cli.ExitUsage
	}
	r := &lab.Runner{Quick: *quick, Binary: *binary, Progress: stderr, BrokenRuns: *brokenRuns}
	if *asJSON {
		r.Progress = nil
	}
	switch {
	case *planDir != "" && *settingsPath != "":
		fmt.Fprintln(stderr, "lab verify: give --settings FILE or --plan DIR, not both")
		return cli.ExitUsage
	case *planDir != "" && len(names) == 1:
		return verifyPlan(ctx, r, names[0], *planDir, *asJSON, stdout, stderr)
	case len(names) == 1:
		if e, ok := lab.LookupPlanExercise(names[0]); ok {
			if c, ok := lab.Lookup(names[0]); !ok || !c.Verifiable() {
				fmt.Fprintf(stderr, "lab verify: %s's fix is in its load plan: --plan DIR is required (lab verify %s --plan %s)\n", e.Name, e.Name, e.Dir())
				return cli.ExitUsage
			}
		}
	}
	c, code := lookupCase("verify", names, stderr)
	if code != cli.ExitOK {
		return code
	}
	if !c.Verifiable() {
		fmt.Fprintf(stderr, "lab verify: %s has no settings to change: its fix is in the load plan (see lab workbook %s)\n", c.Name, c.Name)
		return cli.ExitUsage
	}
	if *settingsPath == "" {
		fmt.Fprintf(stderr, "lab verify: --settings FILE is required (lab init %s writes one)\n", c.Name)
		return cli.ExitUsage
	}
	settings, err := readSettings(*settingsPath)
	if err != nil {
		fmt.Fprintf(stderr, "lab verify: %v\n", err)
		return cli.ExitUsage
	}
	v, err := r.Verify(ctx, c, settings)
	if err != nil {
		return verifyError(stderr, err)
	}
	return printVerification(stdout, stderr, v, *asJSON, fmt.Sprintf("%s, your settings in %s:", c.Name, *settingsPath))
}

// verifyError prints err, a verification that could not be made, and
// returns its exit code: 2 for a kept broken run refused (the flag's
// directory holds the wrong run), 1 for a run that failed.
func verifyError(stderr io.Writer, err error) int {
	fmt.Fprintf(stderr, "lab verify: %v\n", err)
	if _, ok := errors.AsType[*lab.KeptRunError](err); ok {
		return cli.ExitUsage
	}
	return cli.ExitFailure
}

// printVerification writes v as JSON or as one line per check under
// heading with the closing line, and returns lab verify's exit code: 0
// when every check passed, 1 otherwise.
func printVerification(stdout, stderr io.Writer, v *lab.Verification, asJSON bool, heading string) int {
	if asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(v); err != nil {
			fmt.Fprintf(stderr, "lab verify: %v\n", err)
			return cli.ExitFailure
		}
	} else {
		fmt.Fprintln(stdout, heading)
		for _, ch := range v.Checks {
			fmt.Fprintln(stdout, lab.FormatCheck(ch))
		}
		fmt.Fprintln(stdout, v.ClosingLine())
	}
	if !v.OK() {
		return cli.ExitFailure
	}
	return cli.ExitOK
}
