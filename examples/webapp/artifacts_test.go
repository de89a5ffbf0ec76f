//go:build !go1.26

package main

import (
	"os"
	"testing"
)

// artifactDir is where a test keeps its output files. Before Go 1.26
// (testing.T.ArtifactDir) it is a new temp dir that outlives the test, so
// that the logged path can be opened afterwards.
func artifactDir(t *testing.T) string {
	dir, err := os.MkdirTemp("", "webapp-"+t.Name()+"-")
	if err != nil {
		t.Fatal(err)
	}
	return dir
}
