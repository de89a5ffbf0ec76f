package kryptosredis_test

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/require"
)

// redisServer is a real redis-server on a free loopback port, started and
// stopped by the test that owns it.
type redisServer struct {
	t    testing.TB
	port int
	dir  string
	cmd  *exec.Cmd
}

// startRedis starts a redis-server for t and stops it when t ends. It fails
// the test when redis-server is not installed: .ci/run installs Debian's
// package.
func startRedis(t testing.TB) *redisServer {
	t.Helper()
	if _, err := exec.LookPath("redis-server"); err != nil {
		t.Fatal("redis-server is not installed (apt-get install redis-server; .ci/run installs it)")
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := l.Addr().(*net.TCPAddr).Port
	l.Close()
	r := &redisServer{t: t, port: port, dir: t.TempDir()}
	r.start()
	t.Cleanup(r.stop)
	return r
}

func (r *redisServer) addr() string { return "127.0.0.1:" + strconv.Itoa(r.port) }

// start runs redis-server and waits until it answers PING.
func (r *redisServer) start() {
	r.t.Helper()
	r.cmd = exec.Command("redis-server", "--port", strconv.Itoa(r.port), "--bind", "127.0.0.1",
		"--save", "", "--appendonly", "no", "--dir", r.dir, "--enable-debug-command", "local",
		"--logfile", filepath.Join(r.dir, "redis.log"))
	if err := r.cmd.Start(); err != nil {
		r.t.Fatal(err)
	}
	rdb := redis.NewClient(&redis.Options{Addr: r.addr()})
	defer rdb.Close()
	deadline := time.Now().Add(10 * time.Second)
	for rdb.Ping(context.Background()).Err() != nil {
		if time.Now().After(deadline) {
			log, _ := os.ReadFile(filepath.Join(r.dir, "redis.log"))
			r.t.Fatalf("redis-server did not answer on %s:\n%s", r.addr(), log)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// stop kills redis-server at once, as a crash would.
func (r *redisServer) stop() {
	if r.cmd == nil {
		return
	}
	_ = r.cmd.Process.Kill()
	_ = r.cmd.Wait()
	r.cmd = nil
}

// client returns a go-redis client of the server, closed when the test
// ends.
func (r *redisServer) client() *redis.Client {
	rdb := redis.NewClient(&redis.Options{Addr: r.addr(), MaxRetries: -1, DialTimeout: 200 * time.Millisecond})
	r.t.Cleanup(func() { rdb.Close() })
	return rdb
}

// unique returns a client ID no other test uses, so that tests sharing a
// server do not share keys.
func unique(t testing.TB) string { return fmt.Sprintf("client-%s-%d", t.Name(), time.Now().UnixNano()) }

// seedLockEpoch writes the refresh locks' epoch of clientID, as a Redis
// that has served the client ID's replicas for a while has it: a test that
// starts a new Redis otherwise first waits out the grace of a Redis that
// lost its keys.
func seedLockEpoch(t testing.TB, r *redisServer, clientID string) {
	t.Helper()
	rdb := r.client()
	ctx := context.Background()
	run, err := rdb.Info(ctx, "server").Result()
	require.NoError(t, err)
	require.NoError(t, rdb.Set(ctx, "kryptos:{"+clientID+"}:locks:epoch", "seed@0#"+runID(run), 0).Err())
}

// runID reads run_id from INFO server.
func runID(info string) string {
	for _, line := range strings.Split(info, "\n") {
		if v, ok := strings.CutPrefix(strings.TrimSpace(line), "run_id:"); ok {
			return v
		}
	}
	return ""
}
