//go:build !go1.26

package main

import "testing"

// artifactDir is where a test keeps its screenshots: a temporary directory,
// before Go 1.26 brings t.ArtifactDir.
func artifactDir(t *testing.T) string { return t.TempDir() }
