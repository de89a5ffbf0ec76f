//go:build go1.26

package main

import "testing"

// artifactDir is where a test keeps its output files: go test -artifacts
// keeps them under -outputdir.
func artifactDir(t *testing.T) string { return t.ArtifactDir() }
