package main

import (
	"fmt"
	"io"

	"github.com/taskoverflow-lab/taskoverflow/docs/workbook"
	"github.com/taskoverflow-lab/taskoverflow/internal/cli"
	"github.com/taskoverflow-lab/taskoverflow/lab"
)

func runWorkbook(args []string, stdout, stderr io.Writer) int {
	fs := cli.NewFlagSet("lab workbook", "lab workbook [CASE]", stderr)
	names, err := cli.ParseInterleaved(fs, args)
	if err != nil {
		return cli.FlagExit(err)
	}
	if len(names) == 0 {
		fmt.Fprintln(stdout, "exercises (lab workbook CASE prints one):")
		for _, c := range lab.All() {
			fmt.Fprintf(stdout, "  %-24s %s\n", c.Name, c.Story)
		}
		for _, e := range lab.PlanExercises() {
			if _, isCase := lab.Lookup(e.Name); !isCase {
				fmt.Fprintf(stdout, "  %-24s %s\n", e.Name, e.Story)
			}
		}
		return cli.ExitOK
	}
	name := ""
	if e, ok := lab.LookupPlanExercise(names[0]); ok && len(names) == 1 {
		name = e.Name
	} else {
		c, code := lookupCase("workbook", names, stderr)
		if code != cli.ExitOK {
			return code
		}
		name = c.Name
	}
	text, ok := workbook.Exercise(name)
	if !ok {
		fmt.Fprintf(stderr, "lab workbook: %s has no exercise yet\n", name)
		return cli.ExitFailure
	}
	fmt.Fprint(stdout, text)
	return cli.ExitOK
}
