// Command quickstart walks the whole Kryptos Connect flow and prints each
// step: link token, the user's widget step, token exchange, session check,
// grants, a returning user's link token, a resync polled to completion, a
// Guest user's transaction limit, and revocation.
//
// With no environment it runs against the embedded sandbox (kryptostest), so
// it needs no network and no credentials:
//
//	go run ./examples/quickstart
//
// With KRYPTOS_CLIENT_ID and KRYPTOS_CLIENT_SECRET it calls the live API
// instead (or the sandbox program at KRYPTOS_SANDBOX_URL, or the APIs at
// KRYPTOS_CONNECT_URL and KRYPTOS_DATA_URL), and asks on stdin for the
// public token your frontend's widget produced.
package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/kryptos-connect/kryptos-go"
	"github.com/kryptos-connect/kryptos-go/kryptostest"
)

func main() {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	if err := run(ctx, os.Getenv, os.Stdin, os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "quickstart:", err)
		os.Exit(1)
	}
}

// backend is the API the quickstart talks to, and how the widget step is
// done against it.
type backend struct {
	client *kryptos.Client
	// widget turns a link token into the public token the user's widget
	// produces.
	widget func(linkToken kryptos.Secret) (string, error)
	// poll is the longest interval at which a sync job is checked; polling
	// starts at 50 ms and doubles up to it.
	poll  time.Duration
	close func()
}

func run(ctx context.Context, getenv func(string) string, in io.Reader, out io.Writer) error {
	b, err := connect(getenv, in, out)
	if err != nil {
		return err
	}
	defer b.close()
	return walk(ctx, b, out)
}

// connect chooses the embedded sandbox, or the API that the environment
// names.
func connect(getenv func(string) string, in io.Reader, out io.Writer) (*backend, error) {
	id, secret := getenv("KRYPTOS_CLIENT_ID"), getenv("KRYPTOS_CLIENT_SECRET")
	if id == "" && secret == "" {
		srv := kryptostest.NewServer()
		fmt.Fprintf(out, "Using the embedded Kryptos sandbox at %s.\n(Set KRYPTOS_CLIENT_ID and KRYPTOS_CLIENT_SECRET to call the real API.)\n\n", srv.URL)
		return &backend{
			client: srv.Client(kryptos.WithUserAgent("kryptos-quickstart")),
			widget: func(linkToken kryptos.Secret) (string, error) {
				fmt.Fprintln(out, "   (sandbox) The user continues as a Guest and connects the Ethereum test wallet.")
				return srv.CompleteLink(linkToken, kryptostest.LinkUser{
					Guest:   true,
					Wallets: []kryptostest.Wallet{{Provider: "ethereum", Address: kryptostest.EthereumTestAddress, Alias: "Main wallet"}},
				})
			},
			poll:  100 * time.Millisecond,
			close: srv.Close,
		}, nil
	}

	opts := []kryptos.Option{kryptos.WithUserAgent("kryptos-quickstart")}
	if sandbox := getenv("KRYPTOS_SANDBOX_URL"); sandbox != "" {
		opts = append(opts, kryptos.WithSandbox(sandbox))
	} else if connect, data := getenv("KRYPTOS_CONNECT_URL"), getenv("KRYPTOS_DATA_URL"); connect != "" || data != "" {
		e := kryptos.ProductionEndpoints()
		if connect != "" {
			e.Connect = connect
		}
		if data != "" {
			e.Data = data
		}
		opts = append(opts, kryptos.WithEndpoints(e))
	}
	client, err := kryptos.NewClient(id, secret, opts...)
	if err != nil {
		return nil, err
	}
	fmt.Fprintf(out, "Using the Kryptos API at %s as client %s.\n\n", client.Endpoints().Connect, client.ClientID())
	lines := bufio.NewScanner(in)
	return &backend{
		client: client,
		widget: func(linkToken kryptos.Secret) (string, error) {
			// The developer needs the token itself to open the widget.
			fmt.Fprintf(out, "   Open the Kryptos widget in your frontend with this link token:\n   %s\n", linkToken.Reveal())
			fmt.Fprint(out, "   Then paste the public_token that onSuccess received: ")
			if !lines.Scan() {
				return "", errors.New("no public token on stdin")
			}
			return strings.TrimSpace(lines.Text()), nil
		},
		poll:  2 * time.Second,
		close: func() {},
	}, nil
}

// walk runs the flow, printing each step.
func walk(ctx context.Context, b *backend, out io.Writer) error {
	c := b.client
	step := func(format string, args ...any) { fmt.Fprintf(out, format+"\n", args...) }

	lt, err := c.CreateLinkToken(ctx, kryptos.LinkTokenParams{Scopes: kryptos.DefaultScopes()})
	if err != nil {
		return err
	}
	step("1. Created a link token for a new user (expires %s); the frontend gets isAuthorized=%t.", lt.ExpiresAt.Format(time.RFC3339), lt.HasExistingGrant)

	public, err := b.widget(lt.Token)
	if err != nil {
		return err
	}
	step("2. The widget returned a public token.")

	grant, err := c.ExchangePublicToken(ctx, public)
	if err != nil {
		return err
	}
	step("3. Exchanged it once for an access token and grant %s (%s, valid %s). Store both.", grant.GrantID, grant.TokenType, lifetime(grant.ExpiresIn))

	session, err := c.CheckSession(ctx, grant.AccessToken.Reveal())
	if err != nil {
		return err
	}
	step("4. Session valid=%t for user %s in workspace %q, %d scopes granted.", session.Valid, session.UserID, session.WorkspaceName, len(session.GrantedScopes))

	grants, err := c.ListGrants(ctx)
	if err != nil {
		return err
	}
	step("5. The client has %d active grant(s).", len(grants))

	again, err := c.CreateLinkToken(ctx, kryptos.LinkTokenParams{AccessToken: grant.AccessToken})
	if err != nil {
		return err
	}
	step("6. A returning user's link token: has_existing_grant=%t, so the widget skips sign-in (isAuthorized=%t).", again.HasExistingGrant, again.HasExistingGrant)

	if err := resync(ctx, b, b.client.User(grant.Credential()), session.UserID, step); err != nil {
		return err
	}

	limit, err := c.UpdateTransactionLimit(ctx, grant.GrantID, kryptos.TransactionLimitParams{TransactionLimit: kryptos.Ptr[int64](10000)})
	switch {
	case errors.Is(err, kryptos.ErrNotAnonUser):
		step("8. Transaction limits apply to Guest users only; this user signed in, so there is none to set.")
	case err != nil:
		return err
	default:
		queued := 0
		if limit.Resync != nil {
			queued = len(limit.Resync.Triggered)
		}
		// transaction_limit is "int or null" (API.md §2): never dereference
		// it unchecked.
		set := "none of its own (a default applies)"
		if limit.TransactionLimit != nil {
			set = strconv.FormatInt(*limit.TransactionLimit, 10)
		}
		step("8. Set the Guest user's transaction limit to %s; %d integration(s) re-import from the start.", set, queued)
		if err := waitForReimports(ctx, b, b.client.User(grant.Credential()), limit, step); err != nil {
			return err
		}
	}

	if err := c.RevokeGrant(ctx, grant.GrantID); err != nil {
		return err
	}
	after, err := c.CheckSession(ctx, grant.AccessToken.Reveal())
	if err != nil {
		return err
	}
	if after.Valid {
		return errors.New("the session is still valid after revocation")
	}
	step("9. Revoked the grant; the stored token no longer works (reason %q).", after.Reason)
	step("Done.")
	return nil
}

// resync queues a resync of the user's first integration and waits for it
// to finish, printing each change of its status.
func resync(ctx context.Context, b *backend, user *kryptos.UserClient, userID string, step func(string, ...any)) error {
	page, err := user.ListIntegrationsPage(ctx, kryptos.IntegrationsParams{Limit: 1})
	if err != nil {
		return err
	}
	if len(page.Items) == 0 {
		step("7. The user connected no integration, so there is nothing to resync.")
		return nil
	}
	wallet := page.Items[0]
	// The data API's integration id is the walletId of the partner resync.
	job, err := b.client.ResyncIntegration(ctx, wallet.ID, kryptos.ResyncParams{UserID: userID, Mode: kryptos.ResyncLatest})
	if err != nil {
		return err
	}
	step("7. Queued a resync of %s %s (job %s, %s).", wallet.Provider.PublicName, wallet.ID, job.JobID, job.Status)
	last := kryptos.SyncStatus(job.Status)
	final, err := user.WaitForSync(ctx, job.JobID, kryptos.WaitOptions{
		FirstInterval: 50 * time.Millisecond,
		MaxInterval:   b.poll,
		OnProgress: func(j kryptos.SyncJob) {
			if j.Status != last {
				step("   job %s: %s (%.0f%%, %d records)", j.ID, j.Status, j.ProgressPercent, j.RecordsProcessed)
				last = j.Status
			}
		},
	})
	if err != nil {
		return err
	}
	if !final.Status.Succeeded() {
		return fmt.Errorf("resync ended %s", final.Status)
	}
	return nil
}

// waitForReimports waits for the from-start syncs that a limit change
// queued, and prints how each ended.
func waitForReimports(ctx context.Context, b *backend, user *kryptos.UserClient, limit *kryptos.TransactionLimit, step func(string, ...any)) error {
	jobs, err := user.WaitForLimitResyncs(ctx, limit, kryptos.WaitOptions{FirstInterval: 50 * time.Millisecond, MaxInterval: b.poll})
	if err != nil {
		return err
	}
	for _, j := range jobs {
		cut := ""
		if j.LimitReached {
			cut = ", cut short by the transaction limit"
		}
		step("   %s re-imported from the start: %s, %d records%s.", j.IntegrationID, j.Status, j.RecordsProcessed, cut)
	}
	return nil
}

// lifetime prints a token lifetime the way people say it.
func lifetime(d time.Duration) string {
	const year = 365 * 24 * time.Hour
	if d >= year {
		return fmt.Sprintf("%d years", d/year)
	}
	return d.String()
}
