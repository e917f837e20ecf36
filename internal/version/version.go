// Package version is the version the project's binaries were built as, set
// at link time by make build and make dist:
//
//	go build -ldflags "-X github.com/taskoverflow-lab/taskoverflow/internal/version.version=v1.2.3" ./cmd/...
//
// Every command prints it with its `version` subcommand or -version flag.
package version

import (
	"fmt"
	"runtime"
)

// version is written by the linker (-X) and never assigned in code; empty
// in a plain go build or go run.
var version string

// String returns the version, or "devel" for a build that was not given one.
func String() string {
	if version == "" {
		return "devel"
	}
	return version
}

// Line is what a command prints for `version`: its name, the version, and
// the Go release and platform it was built with.
func Line(command string) string {
	return fmt.Sprintf("%s %s (%s %s/%s)", command, String(), runtime.Version(), runtime.GOOS, runtime.GOARCH)
}

// IsRequest reports whether a command's first argument asks for the version:
// `version`, -version or --version.
func IsRequest(arg string) bool {
	return arg == "version" || arg == "-version" || arg == "--version"
}
