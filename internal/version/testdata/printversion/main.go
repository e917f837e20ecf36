// Command printversion prints version.String, for the package's test of -ldflags -X.
package main

import (
	"fmt"

	"github.com/taskoverflow-lab/taskoverflow/internal/version"
)

func main() { fmt.Println(version.String()) }
