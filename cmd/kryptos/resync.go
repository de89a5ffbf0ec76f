package main

import (
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/kryptos-connect/kryptos-go"
	"github.com/spf13/cobra"
)

func (a *app) resyncCommand() *cobra.Command {
	var userID, mode string
	var wait bool
	var poll time.Duration
	c := &cobra.Command{
		Use:   "resync <wallet-id>",
		Short: "Queue a resync of a user's integration, and optionally wait for it",
		Long: `Queue a resync of one of a user's wallet, exchange or CSV integrations;
kryptos data integrations lists their wallet IDs.

--mode latest pulls what is new; --mode from-start wipes the integration's
data and pulls it all again (the only mode CSV imports accept). With --wait,
the sync job is polled through the user's access token (KRYPTOS_ACCESS_TOKEN)
until it ends; progress is drawn on stderr when it is a terminal.`,
		Args: exactArgs("wallet-id"),
		RunE: func(cmd *cobra.Command, args []string) error {
			var m kryptos.ResyncMode
			switch strings.ReplaceAll(mode, "_", "-") {
			case "latest":
				m = kryptos.ResyncLatest
			case "from-start":
				m = kryptos.ResyncFromStart
			default:
				return usagef("--mode must be latest or from-start")
			}
			if userID == "" {
				return usagef("--user-id is required: the Kryptos user who owns the integration (kryptos session check shows it)")
			}
			// Everything --wait needs is checked before the resync is
			// queued: a mistake found after it would hide that it was.
			var user *kryptos.UserClient
			if wait {
				if poll <= 0 || poll > maxPoll {
					return usagef("--poll must be more than 0 and at most %s", maxPoll)
				}
				var err error
				if user, err = a.user(); err != nil {
					return err
				}
			}
			client, err := a.client()
			if err != nil {
				return err
			}
			job, err := client.ResyncIntegration(cmd.Context(), args[0], kryptos.ResyncParams{UserID: userID, Mode: m})
			if err != nil {
				return err
			}
			if !wait {
				if a.jsonOut {
					return a.printJSON(job)
				}
				_, err := fmt.Fprintf(a.stdout, "Queued a %s resync of %s %s: job %s, %s.\n", job.Mode, job.IntegrationType, job.WalletID, job.JobID, job.Status)
				return err
			}
			if job.JobID == "" {
				return errors.New("the API queued the resync but returned no job ID to follow; follow it through webhooks or the user's integrations instead")
			}
			if !a.jsonOut {
				fmt.Fprintf(a.stdout, "Queued a %s resync of %s %s: job %s.\n", job.Mode, job.IntegrationType, job.WalletID, job.JobID)
			}
			bar := newProgressBar(a.stderr, a.tty)
			final, err := user.WaitForSync(cmd.Context(), job.JobID, kryptos.WaitOptions{
				OnProgress: bar.update, FirstInterval: poll, MaxInterval: 8 * poll,
			})
			bar.done()
			if err != nil {
				if a.jsonOut {
					_ = a.printJSON(job)
				}
				return queuedError{job: job.JobID, err: err}
			}
			if a.jsonOut {
				if err := a.printJSON(final); err != nil {
					return err
				}
			} else {
				printFinal(a.stdout, final)
			}
			if !final.Status.Succeeded() {
				return fmt.Errorf("sync %s ended %s; see the integration's provider status and try again later", final.ID, final.Status)
			}
			return nil
		},
	}
	c.Flags().StringVar(&userID, "user-id", "", "the Kryptos user who owns the integration (required)")
	c.Flags().StringVar(&mode, "mode", "", "latest or from-start (required; from-start wipes the integration's data first)")
	c.Flags().BoolVar(&wait, "wait", false, "poll the sync job until it ends, with the user's access token")
	c.Flags().DurationVar(&poll, "poll", time.Second, "first interval between polls with --wait; it doubles up to 8 times this")
	return c
}

// maxPoll bounds --poll, whose 8 times is the longest interval.
const maxPoll = time.Hour

// queuedError is a failure to follow a resync that was queued: it names
// the job, so that nobody queues another to be sure, and keeps the cause's
// exit code, but never that of bad input.
type queuedError struct {
	job string
	err error
}

func (e queuedError) Error() string {
	return fmt.Sprintf("the resync is queued as job %s, but following it failed: %v", e.job, e.err)
}

func (e queuedError) Unwrap() error {
	if errors.Is(e.err, kryptos.ErrInvalidParams) {
		return nil // the input was good enough to queue it
	}
	return e.err
}

// printFinal tells how a sync ended, and what a cut by the transaction cap
// means.
func printFinal(w io.Writer, j *kryptos.SyncJob) {
	fmt.Fprintf(w, "Sync %s %s: %d records processed, %d failed.\n", j.ID, j.Status, j.RecordsProcessed, j.RecordsFailed)
	if j.LimitReached {
		fmt.Fprintln(w, "limitReached: the workspace's transaction cap stopped this sync early. The rows fetched before the cut are saved; the rest were never read.")
		fmt.Fprintln(w, "To import them, raise the user's cap (kryptos limit set <grant-id> --limit N, which queues a from-start resync itself),")
		fmt.Fprintln(w, "or, once the cap is raised, run: kryptos resync <wallet-id> --mode from-start. A latest resync will not backfill them.")
	}
}

// progressBar draws a sync's progress on a terminal, on one line redrawn
// with a carriage return; elsewhere it writes one line per change of status,
// so that a log shows the steps without a flood of redraws.
type progressBar struct {
	w          io.Writer
	tty        bool
	lastStatus kryptos.SyncStatus
	drawn      bool
}

func newProgressBar(w io.Writer, tty bool) *progressBar { return &progressBar{w: w, tty: tty} }

func (b *progressBar) update(j kryptos.SyncJob) {
	if !b.tty {
		if j.Status != b.lastStatus {
			fmt.Fprintf(b.w, "sync %s: %s, %.0f%%, %d records\n", j.ID, j.Status, j.ProgressPercent, j.RecordsProcessed)
		}
		b.lastStatus = j.Status
		return
	}
	const width = 30
	pct := min(max(j.ProgressPercent, 0), 100)
	full := int(pct / 100 * width)
	fmt.Fprintf(b.w, "\r[%s%s] %3.0f%% %-16s %d records\x1b[K", strings.Repeat("#", full), strings.Repeat(" ", width-full), pct, j.Status, j.RecordsProcessed)
	b.drawn = true
}

func (b *progressBar) done() {
	if b.drawn {
		fmt.Fprintln(b.w)
	}
}
