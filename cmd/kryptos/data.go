package main

import (
	"bufio"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"iter"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"
	"unicode"

	"github.com/kryptos-connect/kryptos-go"
	"github.com/spf13/cobra"
	"golang.org/x/text/width"
)

func (a *app) dataCommand() *cobra.Command {
	var format string
	var limit int
	d := group("data", "Read one user's data with their access token (KRYPTOS_ACCESS_TOKEN), or your own after kryptos login")
	d.PersistentFlags().StringVar(&format, "format", "table", "table, json or csv (--json means json)")
	d.PersistentFlags().IntVar(&limit, "limit", 0, "stop after this many rows (0: all)")

	// rows streams the list it is given to the output format, row by row.
	rows := func(name string, list func(*cobra.Command, *kryptos.UserClient) error) *cobra.Command {
		return &cobra.Command{
			Use:   name,
			Short: "List the user's " + name,
			Args:  noArgs,
			RunE: func(cmd *cobra.Command, _ []string) error {
				if a.jsonOut {
					format = "json"
				}
				switch format {
				case "table", "json", "csv":
				default:
					return usagef("--format must be table, json or csv, not %q", format)
				}
				if limit < 0 {
					return usagef("--limit must be 0 or more")
				}
				u, err := a.user()
				if err != nil {
					return err
				}
				return list(cmd, u)
			},
		}
	}
	holdings := rows("holdings", func(cmd *cobra.Command, u *kryptos.UserClient) error {
		return writeRows(a, format, limit, holdingColumns, u.ListHoldings(cmd.Context(), kryptos.HoldingsParams{Limit: 1000}))
	})
	transactions := rows("transactions", func(cmd *cobra.Command, u *kryptos.UserClient) error {
		return writeRows(a, format, limit, transactionColumns, u.ListTransactions(cmd.Context(), kryptos.TransactionsParams{Limit: 100}))
	})
	ledgers := rows("ledgers", func(cmd *cobra.Command, u *kryptos.UserClient) error {
		return writeRows(a, format, limit, ledgerColumns, u.ListLedgers(cmd.Context(), kryptos.LedgersParams{Limit: 200}))
	})
	integrations := rows("integrations", func(cmd *cobra.Command, u *kryptos.UserClient) error {
		return writeRows(a, format, limit, integrationColumns, u.ListIntegrations(cmd.Context(), kryptos.IntegrationsParams{Limit: 100}))
	})
	integrations.Long = `List the user's connected exchanges, wallets and CSV imports with the state of
their syncs. The WALLET column is the wallet ID that kryptos resync takes.`
	transactions.Long = "List the user's transactions, newest first, written as each page arrives: memory stays bounded however many there are."
	ledgers.Long = "List the user's ledger entries, newest first, written as each page arrives: memory stays bounded however many there are."
	d.AddCommand(integrations, holdings, transactions, ledgers)
	return d
}

// column is one column of a table or CSV: its header, the width of a table
// cell (0: as wide as its widest value, for lists that are read whole) and
// the value.
type column[T any] struct {
	name  string
	width int
	value func(*T) string
}

var holdingColumns = []column[kryptos.Holding]{
	{"ASSET", 0, func(h *kryptos.Holding) string { return h.Asset.Symbol }},
	{"NAME", 0, func(h *kryptos.Holding) string { return h.Asset.PublicName }},
	{"QUANTITY", 0, func(h *kryptos.Holding) string { return num(h.TotalQuantity) }},
	{"PRICE", 0, func(h *kryptos.Holding) string { return num(h.MarketPrice) }},
	{"VALUE", 0, func(h *kryptos.Holding) string { return money(h.MarketValue) }},
	{"COST BASIS", 0, func(h *kryptos.Holding) string { return money(h.CostBasis) }},
	{"CURRENCY", 0, func(h *kryptos.Holding) string { return h.BaseCurrency }},
}

var integrationColumns = []column[kryptos.Integration]{
	{"WALLET", 0, func(in *kryptos.Integration) string { return in.ID }},
	{"PROVIDER", 0, func(in *kryptos.Integration) string { return in.Provider.PublicName }},
	{"ACCOUNT", 0, func(in *kryptos.Integration) string {
		switch {
		case in.Alias != "":
			return in.Alias
		case in.Credentials != nil && in.Credentials.Address != "":
			return in.Credentials.Address
		case in.Credentials != nil:
			return in.Credentials.AccountName
		}
		return ""
	}},
	{"STATUS", 0, func(in *kryptos.Integration) string { return string(in.AccountStatus) }},
	{"LAST SYNC", 0, func(in *kryptos.Integration) string {
		if in.LatestSync != nil {
			return string(in.LatestSync.Status)
		}
		return string(in.LastSyncStatus)
	}},
	{"SYNCED AT", 0, func(in *kryptos.Integration) string { return day(in.LastSyncedAt) }},
	{"TXNS", 0, func(in *kryptos.Integration) string { return strconv.Itoa(in.TxnCount) }},
	{"VALUE", 0, func(in *kryptos.Integration) string { return optMoney(in.NetValue) }},
	{"CURRENCY", 0, func(in *kryptos.Integration) string { return in.BaseCurrency }},
}

var transactionColumns = []column[kryptos.Transaction]{
	{"ID", 36, func(t *kryptos.Transaction) string { return t.ID }},
	{"TIME", 20, func(t *kryptos.Transaction) string { return day(t.Timestamp) }},
	{"TYPE", 10, func(t *kryptos.Transaction) string { return string(t.Type) }},
	{"LABEL", 14, func(t *kryptos.Transaction) string { return t.Label }},
	{"IN", 28, func(t *kryptos.Transaction) string { return legs(t.Incoming) }},
	{"OUT", 28, func(t *kryptos.Transaction) string { return legs(t.Outgoing) }},
	{"FEE", 24, func(t *kryptos.Transaction) string { return legs(t.Fees) }},
	{"VALUE", 14, func(t *kryptos.Transaction) string { return optMoney(t.NetValue.FiatValue) }},
	{"CURRENCY", 0, func(t *kryptos.Transaction) string { return t.NetValue.Currency }},
}

var ledgerColumns = []column[kryptos.Ledger]{
	{"ID", 36, func(l *kryptos.Ledger) string { return l.ID }},
	{"TRANSACTION", 36, func(l *kryptos.Ledger) string { return l.TransactionID }},
	{"TIME", 20, func(l *kryptos.Ledger) string { return day(l.Timestamp) }},
	{"TYPE", 8, func(l *kryptos.Ledger) string { return string(l.Type) }},
	{"ASSET", 8, func(l *kryptos.Ledger) string {
		if l.Asset != nil {
			return l.Asset.Symbol
		}
		return l.AssetID
	}},
	{"QUANTITY", 24, func(l *kryptos.Ledger) string { return quantity(l.Quantity) }},
	{"VALUE", 14, func(l *kryptos.Ledger) string { return optMoney(l.Value) }},
	{"CURRENCY", 8, func(l *kryptos.Ledger) string { return l.BaseCurrency }},
	{"WALLET", 0, func(l *kryptos.Ledger) string { return l.WalletID }},
}

// writeRows writes each row of seq as it arrives, flushing after every row
// read from a new page, so that memory stays bounded by a page and a
// consumer of the pipe sees rows at once. A table of columns with fixed
// widths streams too; one with a column sized to its values is aligned when
// the list ends (holdings, a short list).
func writeRows[T any](a *app, format string, limit int, cols []column[T], seq iter.Seq2[T, error]) error {
	out := bufio.NewWriter(a.stdout)
	counter := newRowCounter(a.stderr, a.tty)
	var (
		write  func(*T) error
		finish func() error
	)
	switch format {
	case "json":
		// A JSON array written element by element.
		first := true
		write = func(v *T) error {
			b, err := json.Marshal(v)
			if err != nil {
				return err
			}
			b = nullZeroTimes(b)
			if first {
				out.WriteString("[\n")
				first = false
			} else {
				out.WriteString(",\n")
			}
			_, err = out.Write(b)
			return err
		}
		finish = func() error {
			if first {
				out.WriteString("[")
			}
			_, err := out.WriteString("\n]\n")
			return err
		}
	case "csv":
		cw := csv.NewWriter(out)
		header := make([]string, len(cols))
		for i, c := range cols {
			header[i] = strings.ToLower(strings.ReplaceAll(c.name, " ", "_"))
		}
		if err := cw.Write(header); err != nil {
			return err
		}
		record := make([]string, len(cols))
		write = func(v *T) error {
			for i, c := range cols {
				record[i] = c.value(v)
			}
			return cw.Write(record)
		}
		finish = func() error { cw.Flush(); return cw.Error() }
	default:
		fixed := true
		for _, c := range cols[:len(cols)-1] {
			fixed = fixed && c.width > 0
		}
		var w io.Writer = out
		var tw *tabwriter.Writer
		if !fixed {
			tw = tabwriter.NewWriter(out, 0, 4, 2, ' ', 0)
			w = tw
		}
		line := func(cell func(column[T]) string) error {
			var b strings.Builder
			for i, c := range cols {
				s := printable(cell(c))
				switch {
				case i == len(cols)-1:
					b.WriteString(s)
				case tw != nil:
					b.WriteString(s + "\t")
				default:
					b.WriteString(fit(s, c.width) + "  ")
				}
			}
			_, err := fmt.Fprintln(w, strings.TrimRight(b.String(), " "))
			return err
		}
		if err := line(func(c column[T]) string { return c.name }); err != nil {
			return err
		}
		write = func(v *T) error { return line(func(c column[T]) string { return c.value(v) }) }
		finish = func() error {
			if tw != nil {
				return tw.Flush()
			}
			return nil
		}
	}

	n := 0
	for v, err := range seq {
		if err != nil {
			out.Flush()
			counter.done(n)
			return fmt.Errorf("after %d row(s): %w", n, err)
		}
		if err := write(&v); err != nil {
			return err
		}
		n++
		counter.update(n)
		if n%100 == 0 {
			if err := out.Flush(); err != nil {
				return err
			}
		}
		if limit > 0 && n >= limit {
			break
		}
	}
	if err := finish(); err != nil {
		return err
	}
	counter.done(n)
	return out.Flush()
}

// rowCounter shows how many rows were written, on a terminal only, redrawn
// at most ten times a second.
type rowCounter struct {
	w    io.Writer
	tty  bool
	last time.Time
}

func newRowCounter(w io.Writer, tty bool) *rowCounter { return &rowCounter{w: w, tty: tty} }

func (c *rowCounter) update(n int) {
	if !c.tty || time.Since(c.last) < 100*time.Millisecond {
		return
	}
	c.last = time.Now()
	fmt.Fprintf(c.w, "\r%d rows\x1b[K", n)
}

func (c *rowCounter) done(n int) {
	if c.tty {
		fmt.Fprintf(c.w, "\r%d rows\x1b[K\n", n)
	}
}

func num(f float64) string { return strconv.FormatFloat(f, 'f', -1, 64) }

func money(f float64) string { return strconv.FormatFloat(f, 'f', 2, 64) }

func optMoney(f *float64) string {
	if f == nil {
		return ""
	}
	return money(*f)
}

// quantity prints a decimal as the API sent it without the trailing zeros
// of its fixed 18 places: "281.73291189", not "281.732911890000000000".
func quantity(d kryptos.Decimal) string {
	s := d.String()
	if !strings.Contains(s, ".") || strings.ContainsAny(s, "eE") {
		return s
	}
	return strings.TrimSuffix(strings.TrimRight(s, "0"), ".")
}

// legs sums up a side of a transaction as "0.5 ETH; 1200 USDC".
func legs(ls []kryptos.Leg) string {
	parts := make([]string, 0, len(ls))
	for _, l := range ls {
		sym := l.AssetID
		if l.Asset != nil && l.Asset.Symbol != "" {
			sym = l.Asset.Symbol
		}
		parts = append(parts, quantity(l.Quantity)+" "+sym)
	}
	return strings.Join(parts, "; ")
}

// printable escapes what would break a table's line or column: a cell
// with control characters (a line break, a tab) is written as a Go string,
// without its quotes, such as Tra\nfer.
func printable(s string) string {
	if !strings.ContainsFunc(s, unicode.IsControl) {
		return s
	}
	q := strconv.Quote(s)
	return q[1 : len(q)-1]
}

// fit pads or cuts s to exactly width terminal columns, counting a wide
// character (CJK, fullwidth) as two, and cutting only between characters.
func fit(s string, width int) string {
	if w := columns(s); w <= width {
		return s + strings.Repeat(" ", width-w)
	}
	var b strings.Builder
	used := 0
	for _, r := range s {
		if used+runeColumns(r) > width-1 { // keep one column for the ellipsis
			break
		}
		b.WriteRune(r)
		used += runeColumns(r)
	}
	b.WriteString("…")
	return b.String() + strings.Repeat(" ", width-1-used)
}

func columns(s string) int {
	n := 0
	for _, r := range s {
		n += runeColumns(r)
	}
	return n
}

func runeColumns(r rune) int {
	switch width.LookupRune(r).Kind() {
	case width.EastAsianWide, width.EastAsianFullwidth:
		return 2
	}
	return 1
}
