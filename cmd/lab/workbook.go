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
		return cli.ExitOK
	}
	c, code := lookupCase("workbook", names, stderr)
	if code != cli.ExitOK {
		return code
	}
	text, ok := workbook.Exercise(c.Name)
	if !ok {
		fmt.Fprintf(stderr, "lab workbook: %s has no exercise yet\n", c.Name)
		return cli.ExitFailure
	}
	fmt.Fprint(stdout, text)
	return cli.ExitOK
}
