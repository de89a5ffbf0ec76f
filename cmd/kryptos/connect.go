package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"text/tabwriter"
	"time"

	"github.com/kryptos-connect/kryptos-go"
	"github.com/spf13/cobra"
)

func (a *app) grantsCommand() *cobra.Command {
	list := &cobra.Command{
		Use:   "list",
		Short: "List the client's active grants",
		Args:  noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			c, err := a.client()
			if err != nil {
				return err
			}
			grants, err := c.ListGrants(cmd.Context())
			if err != nil {
				return err
			}
			if a.jsonOut {
				if grants == nil {
					grants = []kryptos.Grant{}
				}
				return a.printJSON(grants)
			}
			tw := tabwriter.NewWriter(a.stdout, 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "GRANT ID\tWORKSPACE\tCREATED\tEXPIRES\tSCOPES")
			for _, g := range grants {
				fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", g.ID, g.WorkspaceID, day(g.CreatedAt), day(g.ExpiresAt), g.Scopes)
			}
			if err := tw.Flush(); err != nil {
				return err
			}
			fmt.Fprintf(a.stderr, "%d grant(s)\n", len(grants))
			return nil
		},
	}
	revoke := &cobra.Command{
		Use:   "revoke <grant-id>",
		Short: "Revoke a grant: its access tokens stop working at once",
		Args:  exactArgs("grant-id"),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := a.client()
			if err != nil {
				return err
			}
			if err := c.RevokeGrant(cmd.Context(), args[0]); err != nil {
				return sentUnanswered(err)
			}
			if a.jsonOut {
				return a.printJSON(map[string]any{"grant_id": args[0], "revoked": true})
			}
			_, err = fmt.Fprintf(a.stdout, "Revoked grant %s. The user must go through the widget again to reconnect.\n", args[0])
			return err
		},
	}
	return group("grants", "List and revoke the client's grants", list, revoke)
}

func (a *app) sessionCommand() *cobra.Command {
	check := &cobra.Command{
		Use:   "check",
		Short: "Check whether a user's stored access token still works",
		Long: `Check whether a user's stored access token still works.

The token is read from the environment variable --access-token-env names
(KRYPTOS_ACCESS_TOKEN), never from a flag, and is never printed.`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			tok, err := a.accessToken()
			if err != nil {
				return err
			}
			c, err := a.client()
			if err != nil {
				return err
			}
			s, err := c.CheckSession(cmd.Context(), tok)
			if err != nil {
				return err
			}
			if a.jsonOut {
				return a.printJSON(map[string]any{
					"valid": s.Valid, "reason": s.Reason, "user_id": s.UserID, "workspace_id": s.WorkspaceID,
					"workspace_name": s.WorkspaceName, "granted_scopes": s.GrantedScopes, "grant_id": s.GrantID,
				})
			}
			if !s.Valid {
				fmt.Fprintf(a.stdout, "Session: invalid (%s). Create a link token (kryptos link create) so the user can connect again.\n", s.Reason)
				return nil
			}
			tw := tabwriter.NewWriter(a.stdout, 0, 4, 2, ' ', 0)
			fmt.Fprintf(tw, "Session:\tvalid\nUser:\t%s\nWorkspace:\t%s (%s)\nGrant:\t%s\nScopes:\t%s\n",
				s.UserID, s.WorkspaceID, s.WorkspaceName, s.GrantID, s.GrantedScopes)
			return tw.Flush()
		},
	}
	return group("session", "Check a user's session", check)
}

func (a *app) linkCommand() *cobra.Command {
	var scopes string
	create := &cobra.Command{
		Use:   "create",
		Short: "Create a link token for the widget",
		Long: `Create a link token and print it on stdout.

A link token lives 30 minutes and opens the Kryptos Connect widget for one
user: pass it to your frontend's widget, which turns it into a public token.`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			p := kryptos.LinkTokenParams{}
			if cmd.Flags().Changed("scopes") {
				s, err := kryptos.ParseScopes(scopes)
				if err != nil {
					return err
				}
				p.Scopes = s
			}
			c, err := a.client()
			if err != nil {
				return err
			}
			lt, err := c.CreateLinkToken(cmd.Context(), p)
			if err != nil {
				return err
			}
			if a.jsonOut {
				return a.printJSON(map[string]any{"link_token": lt.Token.Reveal(), "expires_at": lt.ExpiresAt})
			}
			// The token alone on stdout, so that $(kryptos link create) works.
			if _, err := fmt.Fprintln(a.stdout, lt.Token.Reveal()); err != nil {
				return err
			}
			fmt.Fprintf(a.stderr, "Link token for the widget; it expires at %s (in %s). Pass it to the frontend's widget; it works once.\n",
				lt.ExpiresAt.Format(time.RFC3339), time.Until(lt.ExpiresAt).Round(time.Minute))
			return nil
		},
	}
	create.Flags().StringVar(&scopes, "scopes", kryptos.DefaultScopes().String(), "space-separated scopes the user is asked to grant; must include openid")
	return group("link", "Create link tokens for the widget", create)
}

func (a *app) limitCommand() *cobra.Command {
	var limit int64
	var limiter string
	set := &cobra.Command{
		Use:   "set <grant-id>",
		Short: "Set a Guest user's transaction import limit",
		Long: `Set a Guest user's transaction import limit (Guest users only).

A change of the cap queues a from-start resync of the user's integrations,
which re-imports what the old cap cut off.`,
		Args: exactArgs("grant-id"),
		RunE: func(cmd *cobra.Command, args []string) error {
			var p kryptos.TransactionLimitParams
			if cmd.Flags().Changed("limit") {
				p.TransactionLimit = kryptos.Ptr(limit)
			}
			switch limiter {
			case "":
			case "on":
				p.EnableLimiter = kryptos.Ptr(true)
			case "off":
				p.EnableLimiter = kryptos.Ptr(false)
			default:
				return usagef("--limiter must be on or off, not %q", limiter)
			}
			if p.TransactionLimit == nil && p.EnableLimiter == nil {
				return usagef("nothing to set: pass --limit N and/or --limiter on|off")
			}
			c, err := a.client()
			if err != nil {
				return err
			}
			tl, err := c.UpdateTransactionLimit(cmd.Context(), args[0], p)
			if err != nil {
				return err
			}
			if a.jsonOut {
				// Every key of the answer, always: a null is printed
				// as null (API.md §2), not dropped as the SDK type's
				// omitempty would for an older API's answer.
				return a.printJSON(map[string]any{
					"grant_id": tl.GrantID, "user_id": tl.UserID,
					"transaction_limit": tl.TransactionLimit, "enable_limiter": tl.EnableLimiter,
					"previous_transaction_limit": tl.PreviousTransactionLimit,
					"previous_enable_limiter":    tl.PreviousEnableLimiter,
					"resync":                     tl.Resync,
				})
			}
			fmt.Fprintf(a.stdout, "Grant %s (user %s): transaction limit %s", tl.GrantID, tl.UserID, optInt(tl.TransactionLimit))
			if tl.PreviousTransactionLimit != nil {
				fmt.Fprintf(a.stdout, " (was %s)", optInt(tl.PreviousTransactionLimit))
			}
			fmt.Fprintf(a.stdout, ", limiter %s.\n", onOff(tl.EnableLimiter))
			if r := tl.Resync; r != nil {
				fmt.Fprintf(a.stdout, "Queued %d from-start resync(s) to re-import what the cap cut off; %d skipped, %d failed.\n",
					len(r.Triggered), r.Skipped, len(r.Failed))
				for _, t := range r.Triggered {
					fmt.Fprintf(a.stdout, "  integration %s: sync %s\n", t.IntegrationID, t.SyncID)
				}
			}
			return nil
		},
	}
	set.Flags().Int64Var(&limit, "limit", 0, "transactions to import for the user, a positive integer")
	set.Flags().StringVar(&limiter, "limiter", "", "on or off: off removes the cap")
	return group("limit", "Set a Guest user's transaction limit", set)
}

func optInt(p *int64) string {
	if p == nil {
		return "default"
	}
	return strconv.FormatInt(*p, 10)
}

func onOff(p *bool) string {
	switch {
	case p == nil:
		return "default"
	case *p:
		return "on"
	}
	return "off"
}

func day(t time.Time) string {
	if t.IsZero() {
		return "-"
	}
	return t.UTC().Format(time.RFC3339)
}

func (a *app) printJSON(v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	var out bytes.Buffer
	if err := json.Indent(&out, nullZeroTimes(b), "", "  "); err != nil {
		return err
	}
	out.WriteByte('\n')
	_, err = a.stdout.Write(out.Bytes())
	return err
}

// sentUnanswered marks the failure of a request that may have reached the
// API with no answer (the connection broke, or the operator interrupted
// it) as an unknown outcome, exit 4: for a revoke, "check before
// repeating". A request that was never sent (kryptos.ErrNotSent), an API's
// answer and bad input keep their own meaning.
func sentUnanswered(err error) error {
	var apiErr *kryptos.Error
	switch {
	case errors.As(err, &apiErr), errors.Is(err, kryptos.ErrInvalidParams), errors.Is(err, kryptos.ErrOutcomeUnknown),
		errors.Is(err, kryptos.ErrNotSent):
		return err
	}
	return fmt.Errorf("%w: %w", kryptos.ErrOutcomeUnknown, err)
}
