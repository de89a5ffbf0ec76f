// Command backend is the server side of a Kryptos Connect integration: the
// endpoints the Kryptos Web SDK calls (see Handler), with a token store.
//
// With no environment it serves against the embedded sandbox:
//
//	go run ./examples/backend -addr 127.0.0.1:8080
//
// With KRYPTOS_CLIENT_ID and KRYPTOS_CLIENT_SECRET (and optionally
// KRYPTOS_SANDBOX_URL) it calls that API. The X-User-Id header stands in for
// your app's own sign-in.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"os/signal"
	"time"

	"github.com/kryptos-connect/kryptos-go"
	"github.com/kryptos-connect/kryptos-go/kryptostest"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:8080", "address to listen on")
	flag.Parse()
	log := slog.New(slog.NewTextHandler(os.Stderr, nil))

	var client *kryptos.Client
	if id, secret := os.Getenv("KRYPTOS_CLIENT_ID"), os.Getenv("KRYPTOS_CLIENT_SECRET"); id != "" || secret != "" {
		var opts []kryptos.Option
		if sandbox := os.Getenv("KRYPTOS_SANDBOX_URL"); sandbox != "" {
			opts = append(opts, kryptos.WithSandbox(sandbox))
		}
		var err error
		if client, err = kryptos.NewClient(id, secret, append(opts, kryptos.WithLogger(log))...); err != nil {
			log.Error("configuring the Kryptos client", "err", err)
			os.Exit(1)
		}
	} else {
		sandbox := kryptostest.NewServer()
		defer sandbox.Close()
		client = sandbox.Client(kryptos.WithLogger(log))
		fmt.Printf("Using the embedded Kryptos sandbox at %s; complete links with POST %s/widget/complete (header X-LINK-TOKEN).\n", sandbox.URL, sandbox.URL)
	}

	h := &Handler{Client: client, Store: NewMemoryStore(), Log: log, UserID: func(r *http.Request) string { return r.Header.Get("X-User-Id") }}
	srv := &http.Server{Addr: *addr, Handler: h.Routes(), ReadHeaderTimeout: 10 * time.Second}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	go func() {
		<-ctx.Done()
		shutdown, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = srv.Shutdown(shutdown)
	}()
	fmt.Printf("Backend listening on http://%s (POST /api/kryptos/create-link-token with X-User-Id)\n", *addr)
	if err := srv.ListenAndServe(); err != nil && !errors.Is(err, http.ErrServerClosed) {
		log.Error("serving", "err", err)
		os.Exit(1)
	}
}
