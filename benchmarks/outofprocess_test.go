package benchmarks

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"strings"
	"testing"

	"github.com/hashicorp/go-retryablehttp"
	"github.com/kryptos-connect/kryptos-go/internal/httpcore"
)

// serveEnv makes TestServeTheBenchmarkAPI serve: BenchmarkOutOfProcess
// runs this test binary again with it set.
const serveEnv = "KRYPTOS_BENCHMARK_SERVE"

// TestServeTheBenchmarkAPI is the server process of BenchmarkOutOfProcess:
// it prints the loopback API's URL and serves until its stdin closes. It
// does nothing in a test run.
func TestServeTheBenchmarkAPI(t *testing.T) {
	if os.Getenv(serveEnv) == "" {
		t.Skip("the server process of BenchmarkOutOfProcess")
	}
	s := newServer(t, grantsAnswer(1))
	os.Stdout.WriteString(s.URL + "\n")
	_, _ = io.Copy(io.Discard, os.Stdin)
}

// serverProcess starts the benchmark API in a process of its own and
// returns it as a server whose URL the clients call.
func serverProcess(b *testing.B) *server {
	b.Helper()
	cmd := exec.Command(os.Args[0], "-test.run", "^TestServeTheBenchmarkAPI$", "-test.timeout", "0")
	cmd.Env = append(os.Environ(), serveEnv+"=1")
	cmd.Stderr = os.Stderr
	stdin, err := cmd.StdinPipe()
	if err != nil {
		b.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		b.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		b.Fatal(err)
	}
	// Its output is read to the end before Wait, which closes the pipe.
	first := make(chan string, 1)
	drained := make(chan struct{})
	go func() {
		defer close(drained)
		out := bufio.NewReader(stdout)
		line, _ := out.ReadString('\n')
		first <- line
		_, _ = io.Copy(io.Discard, out) // the test's own PASS line
	}()
	b.Cleanup(func() {
		stdin.Close() // the server stops
		<-drained
		_ = cmd.Wait()
	})
	url := <-first
	if !strings.HasPrefix(url, "http://") {
		b.Fatalf("the server process said %q", url)
	}
	return &server{Server: &httptest.Server{URL: strings.TrimSpace(url)}}
}

// BenchmarkOutOfProcess is CheckSession with the server in another process,
// as in production, where the client's runtime schedules only the client's
// goroutines. Beside the SDK and the baseline, impl=retryablehttp is the
// baseline's request sent through a bare retryablehttp.Client whose
// transport reads the whole answer within the attempt, as the SDK's core
// does: what retryablehttp and reading inside the attempt cost, without the
// rest of the SDK.
func BenchmarkOutOfProcess(b *testing.B) {
	ctx := context.Background()
	s := serverProcess(b)
	b.Run("impl=sdk", func(b *testing.B) {
		client := s.sdk(b)
		b.ReportAllocs()
		for b.Loop() {
			if _, err := client.CheckSession(ctx, accessToken); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("impl=baseline", func(b *testing.B) {
		base := s.baseline()
		b.ReportAllocs()
		for b.Loop() {
			if err := base.checkSession(ctx); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("impl=retryablehttp", func(b *testing.B) {
		transport := httpcore.PooledTransport(http.DefaultTransport.(*http.Transport))
		rc := &retryablehttp.Client{HTTPClient: &http.Client{Transport: readWhole{transport}}, RetryMax: 2,
			CheckRetry: retryablehttp.DefaultRetryPolicy, Backoff: retryablehttp.DefaultBackoff}
		body := []byte(`{"access_token":"` + accessToken + `"}`)
		b.ReportAllocs()
		for b.Loop() {
			req, err := retryablehttp.NewRequestWithContext(ctx, http.MethodPost, s.URL+"/link-token/check-session", body)
			if err != nil {
				b.Fatal(err)
			}
			req.Header.Set("X-Client-Id", clientID)
			req.Header.Set("X-Client-Secret", clientSecret)
			req.Header.Set("Accept", "application/json")
			req.Header.Set("User-Agent", "baseline/1.0")
			req.Header.Set("Content-Type", "application/json")
			resp, err := rc.Do(req)
			if err != nil {
				b.Fatal(err)
			}
			var env envelope[sessionData]
			if err := json.Unmarshal(resp.Body.(readBody).raw, &env); err != nil || !env.Data.HasValidSession {
				b.Fatalf("unexpected answer %+v (%v)", env, err)
			}
		}
	})
}

// readWhole reads each answer whole within the attempt, as the SDK's core
// does.
type readWhole struct{ rt http.RoundTripper }

func (r readWhole) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := r.rt.RoundTrip(req)
	if err != nil {
		return nil, err
	}
	raw, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		return nil, err
	}
	resp.Body = readBody{bytes.NewReader(raw), raw}
	return resp, nil
}

// readBody is an answer read whole, with its bytes at hand.
type readBody struct {
	*bytes.Reader
	raw []byte
}

func (readBody) Close() error { return nil }
