//go:build go1.26

package main

import "testing"

// artifactDir is where a test keeps its screenshots: t.ArtifactDir, which
// `go test -artifacts` keeps (under -outputdir) and which is a temporary
// directory otherwise.
func artifactDir(t *testing.T) string { return t.ArtifactDir() }
