package main

import (
	"os/exec"
	"runtime"
)

// systemBrowser opens url in the user's default browser with the program
// each system has for it, as gh and gcloud do. It returns once the program
// started: whether a browser appeared is not known, which is why kryptos
// login prints the URL too. The URL is passed as one argument, never
// through a shell.
func systemBrowser(url string) error {
	var cmd *exec.Cmd
	switch runtime.GOOS {
	case "darwin":
		cmd = exec.Command("open", url)
	case "windows":
		cmd = exec.Command("rundll32", "url.dll,FileProtocolHandler", url)
	default: // Linux, the BSDs
		cmd = exec.Command("xdg-open", url)
	}
	if err := cmd.Start(); err != nil {
		return err
	}
	go func() { _ = cmd.Wait() }() // reap it; it exits once the browser has the URL
	return nil
}
