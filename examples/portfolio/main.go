// Command portfolio prints a user's portfolio as a backend reads it from the
// Kryptos data API: holdings by value, the latest transactions, a CSV export
// of every transaction, and summaries of the DeFi positions and NFTs.
//
// With no environment it runs against the embedded sandbox (kryptostest):
// a Guest user connects an Ethereum wallet, a Solana wallet and an exchange
// account, and the program reads their data. It needs no network and no
// credentials:
//
//	go run ./examples/portfolio
//	go run ./examples/portfolio -csv ./transactions.csv
//
// With KRYPTOS_ACCESS_TOKEN (a user's stored access token, from
// ExchangePublicToken) it reads that user's data from the live API instead,
// or from the sandbox program at KRYPTOS_SANDBOX_URL; the data API needs no
// client credentials.
//
// The CSV export streams: it writes each transaction as the iterator yields
// it, so memory stays bounded however long the history is.
package main

import (
	"cmp"
	"context"
	"encoding/csv"
	"errors"
	"flag"
	"fmt"
	"io"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/kryptos-connect/kryptos-go"
	"github.com/kryptos-connect/kryptos-go/kryptostest"
)

const (
	// latestCount is how many of the newest transactions the table shows.
	latestCount = 20
	// topCollections is how many NFT collections the summary lists.
	topCollections = 10
)

func main() {
	csvPath := flag.String("csv", "", "where to write the CSV export of every transaction (default: a new file in the system's temporary directory)")
	flag.Parse()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	if err := run(ctx, os.Stdout, *csvPath, os.Getenv); err != nil {
		fmt.Fprintln(os.Stderr, "portfolio:", err)
		os.Exit(1)
	}
}

// run connects to the sandbox or to the API the environment names, and
// prints the portfolio of its user to out. The CSV export goes to csvPath,
// or to a new file in the temporary directory when csvPath is "".
func run(ctx context.Context, out io.Writer, csvPath string, getenv func(string) string) error {
	user, closeBackend, err := connect(ctx, out, getenv)
	if err != nil {
		return err
	}
	defer closeBackend()

	if err := waitForSyncs(ctx, out, user); err != nil {
		return err
	}
	if err := printHoldings(ctx, out, user); err != nil {
		return err
	}
	total, err := printLatestTransactions(ctx, out, user)
	if err != nil {
		return err
	}
	if err := exportTransactions(ctx, out, user, csvPath, total); err != nil {
		return err
	}
	if err := printDeFi(ctx, out, user); err != nil {
		return err
	}
	return printNFTs(ctx, out, user)
}

// connect returns the data API handle of the user whose portfolio is shown:
// a new sandbox user, or the user of KRYPTOS_ACCESS_TOKEN.
func connect(ctx context.Context, out io.Writer, getenv func(string) string) (*kryptos.UserClient, func(), error) {
	id, secret, token := getenv("KRYPTOS_CLIENT_ID"), getenv("KRYPTOS_CLIENT_SECRET"), getenv("KRYPTOS_ACCESS_TOKEN")
	if id == "" && secret == "" && token == "" {
		return connectSandbox(ctx, out)
	}
	if token == "" {
		return nil, nil, errors.New("KRYPTOS_ACCESS_TOKEN is not set: give the stored access token of the user whose portfolio to read (go run ./examples/quickstart shows how to get one)")
	}
	// The data API takes the user's access token only: the client secret
	// is not needed here, and is not read.
	opts := []kryptos.Option{kryptos.WithUserAgent("kryptos-portfolio")}
	data := kryptos.ProductionEndpoints().Data
	if sandbox := getenv("KRYPTOS_SANDBOX_URL"); sandbox != "" {
		opts = append(opts, kryptos.WithSandbox(sandbox))
		data = sandbox
	}
	user, err := kryptos.NewUserClient(kryptos.AccessToken(token), opts...)
	if err != nil {
		return nil, nil, err
	}
	as := ""
	if id != "" {
		as = " as client " + id
	}
	fmt.Fprintf(out, "Reading the portfolio from the Kryptos data API at %s%s.\n\n", data, as)
	return user, func() {}, nil
}

// connectSandbox starts the embedded sandbox and plays a user who links two
// wallets and an exchange account in the widget.
func connectSandbox(ctx context.Context, out io.Writer) (*kryptos.UserClient, func(), error) {
	// Sandbox mode would allow the two test wallets only; off, the user
	// can also connect an exchange account.
	srv := kryptostest.NewServer(kryptostest.WithSandboxMode(false))
	fail := func(err error) (*kryptos.UserClient, func(), error) {
		srv.Close()
		return nil, nil, err
	}
	fmt.Fprintf(out, "Using the embedded Kryptos sandbox at %s.\n(Set KRYPTOS_ACCESS_TOKEN to read a real user's portfolio.)\n\n", srv.URL)

	client := srv.Client(kryptos.WithUserAgent("kryptos-portfolio"))
	lt, err := client.CreateLinkToken(ctx, kryptos.LinkTokenParams{Scopes: kryptos.DefaultScopes()})
	if err != nil {
		return fail(fmt.Errorf("create a link token: %w", err))
	}
	public, err := srv.CompleteLink(lt.Token, kryptostest.LinkUser{
		Guest: true,
		Wallets: []kryptostest.Wallet{
			{Provider: "ethereum", Address: kryptostest.EthereumTestAddress, Alias: "Main wallet"},
			{Provider: "solana", Address: kryptostest.SolanaTestAddress, Alias: "Phantom"},
			{Provider: "binance", Address: "sandbox-account", Alias: "Binance"},
		},
	})
	if err != nil {
		return fail(fmt.Errorf("complete the widget step: %w", err))
	}
	grant, err := client.ExchangePublicToken(ctx, public)
	if err != nil {
		return fail(fmt.Errorf("exchange the public token: %w", err))
	}
	fmt.Fprintln(out, "A Guest user connected an Ethereum wallet, a Solana wallet and a Binance account; the public token was exchanged for their access token.")
	return client.User(grant.Credential()), srv.Close, nil
}

// waitForSyncs waits for the syncs still running on the user's
// integrations, so that the figures below are complete, and lists the
// integrations.
func waitForSyncs(ctx context.Context, out io.Writer, user *kryptos.UserClient) error {
	var rows [][]string
	for in, err := range user.ListIntegrations(ctx, kryptos.IntegrationsParams{}) {
		if err != nil {
			return fmt.Errorf("list the integrations: %w", err)
		}
		status := in.LastSyncStatus
		if job := in.LatestSync; job != nil && !job.Status.Done() {
			fmt.Fprintf(out, "Waiting for the sync of %s (%s)...\n", in.Provider.PublicName, job.Status)
			final, err := user.WaitForSync(ctx, job.ID, kryptos.WaitOptions{FirstInterval: 200 * time.Millisecond, MaxInterval: 5 * time.Second})
			if err != nil {
				return fmt.Errorf("wait for the sync of %s: %w", in.Provider.PublicName, err)
			}
			status = final.Status
		}
		if status == "" {
			status = "never synced"
		}
		rows = append(rows, []string{in.Provider.PublicName, cmp.Or(in.Alias, "-"), string(status)})
	}
	fmt.Fprintf(out, "\nIntegrations (%d)\n", len(rows))
	printTable(out, []column{{title: "Provider"}, {title: "Alias"}, {title: "Last sync"}}, rows)
	return nil
}

// printHoldings prints what the user holds, by value, with the total.
func printHoldings(ctx context.Context, out io.Writer, user *kryptos.UserClient) error {
	p := kryptos.HoldingsParams{SortBy: kryptos.HoldingsByValue, SortOrder: kryptos.HoldingsDescending}
	var (
		holdings []kryptos.Holding
		total    *float64
		currency string
	)
	// Holdings are one per asset, so they fit in memory; the pages (rather
	// than ListHoldings) carry the total value of the whole list.
	page, err := user.ListHoldingsPage(ctx, p)
	for ; err == nil && page != nil; page, err = page.Next(ctx) {
		holdings = append(holdings, page.Items...)
		total = page.Summary.TotalValue
	}
	if err != nil {
		return fmt.Errorf("list the holdings: %w", err)
	}
	slices.SortStableFunc(holdings, func(a, b kryptos.Holding) int { return cmp.Compare(b.MarketValue, a.MarketValue) })

	rows := make([][]string, 0, len(holdings)+1)
	for _, h := range holdings {
		currency = cmp.Or(currency, h.BaseCurrency)
		cost := "-" // the basis is unknown
		if h.CostBasis != 0 {
			cost = money(h.CostBasis)
		}
		rows = append(rows, []string{h.Asset.Symbol, h.Asset.PublicName, quantity(h.TotalQuantity), money(h.MarketValue), cost})
	}
	if total != nil {
		rows = append(rows, []string{"Total", "", "", money(*total), ""})
	}
	fmt.Fprintf(out, "\nHoldings (%d assets, values in %s)\n", len(holdings), cmp.Or(currency, "the base currency"))
	printTable(out, []column{{title: "Asset"}, {title: "Name"}, {title: "Quantity", right: true}, {title: "Value", right: true}, {title: "Cost basis", right: true}}, rows)
	return nil
}

// printLatestTransactions prints the newest transactions, and returns how
// many transactions the list holds in all.
func printLatestTransactions(ctx context.Context, out io.Writer, user *kryptos.UserClient) (int, error) {
	page, err := user.ListTransactionsPage(ctx, kryptos.TransactionsParams{Limit: latestCount})
	if err != nil {
		return 0, fmt.Errorf("list the latest transactions: %w", err)
	}
	rows := make([][]string, 0, len(page.Items))
	for _, tx := range page.Items {
		rows = append(rows, []string{
			tx.Timestamp.UTC().Format("2006-01-02 15:04"),
			tx.Label,
			legs(tx.Outgoing, short),
			legs(tx.Incoming, short),
			legs(tx.Fees, short),
			txValue(tx),
		})
	}
	fmt.Fprintf(out, "\nLatest %d of %d transactions (times in UTC)\n", len(page.Items), page.Total)
	printTable(out, []column{{title: "Date"}, {title: "Label"}, {title: "Sent"}, {title: "Received"}, {title: "Fee"}, {title: "Value", right: true}}, rows)
	return page.Total, nil
}

// csvHeader names the columns of the export.
var csvHeader = []string{
	"id", "timestamp", "type", "label", "description", "sent", "received", "fees",
	"net_value", "currency", "cost_basis", "gains", "wallet_id", "platform_id", "explorer_link",
}

// exportTransactions writes every transaction to a CSV file, one row as
// each comes from the iterator. want is the total the API reported, to
// check the export against.
func exportTransactions(ctx context.Context, out io.Writer, user *kryptos.UserClient, path string, want int) (err error) {
	f, err := createExport(path)
	if err != nil {
		return err
	}
	// The file gets its final name only once it is complete; on any
	// failure the partial file is removed.
	defer func() {
		if err != nil {
			_ = f.Close() // the export has failed already
			_ = os.Remove(f.Name())
		}
	}()
	w := csv.NewWriter(f)
	if err := w.Write(csvHeader); err != nil {
		return fmt.Errorf("write %s: %w", f.Name(), err)
	}
	// Offset paging in the default order (newest first) can repeat or skip
	// an entry when a sync saves transactions meanwhile; in the order of
	// saving, those land at the end instead.
	p := kryptos.TransactionsParams{SortBy: kryptos.SortTransactionsByCreatedAt, Ascending: true}
	n := 0
	for tx, err := range user.ListTransactions(ctx, p) {
		if err != nil {
			return fmt.Errorf("list the transactions after %d of them: %w", n, err)
		}
		if err := w.Write(csvRecord(tx)); err != nil {
			return fmt.Errorf("write %s: %w", f.Name(), err)
		}
		n++
	}
	w.Flush()
	if err := w.Error(); err != nil {
		return fmt.Errorf("write %s: %w", f.Name(), err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("write %s: %w", f.Name(), err)
	}
	final := f.Name()
	if path != "" {
		if err := os.Rename(f.Name(), path); err != nil {
			return fmt.Errorf("save the export: %w", err)
		}
		final = path
	}
	fmt.Fprintf(out, "\nExported %d transactions to %s (Spam- and Ignore-labelled ones left out, as in the API's default list).\n", n, final)
	if n != want {
		fmt.Fprintf(out, "Note: the API counted %d transactions a moment earlier; a sync may have saved more since.\n", want)
	}
	return nil
}

// createExport creates the file the export is written to: a temporary file
// beside path, renamed to path when complete, or a new file in the
// temporary directory when path is "".
func createExport(path string) (*os.File, error) {
	dir, pattern := os.TempDir(), "kryptos-transactions-*.csv"
	if path != "" {
		dir, pattern = filepath.Dir(path), "."+filepath.Base(path)+".*.tmp"
	}
	f, err := os.CreateTemp(dir, pattern)
	if err != nil {
		return nil, fmt.Errorf("create the CSV export in %s: %w", dir, err)
	}
	return f, nil
}

// csvRecord is one transaction as a row of the export, in the order of
// csvHeader. Quantities keep the API's exact decimals.
func csvRecord(tx kryptos.Transaction) []string {
	value := ""
	if v := tx.NetValue.FiatValue; v != nil {
		value = strconv.FormatFloat(*v, 'f', 2, 64)
	}
	return []string{
		tx.ID,
		tx.Timestamp.UTC().Format(time.RFC3339),
		string(tx.Type),
		tx.Label,
		tx.Description,
		legs(tx.Outgoing, kryptos.Decimal.String),
		legs(tx.Incoming, kryptos.Decimal.String),
		legs(tx.Fees, kryptos.Decimal.String),
		value,
		tx.NetValue.Currency,
		strconv.FormatFloat(tx.TotalCostBasis, 'f', 2, 64),
		strconv.FormatFloat(tx.TotalGains, 'f', 2, 64),
		tx.ImportSource.WalletID,
		tx.TransactionPlatformID,
		tx.ExplorerLink,
	}
}

// printDeFi prints the totals of the user's DeFi positions and how many
// positions there are of each category.
func printDeFi(ctx context.Context, out io.Writer, user *kryptos.UserClient) error {
	totals, err := user.DeFiTotals(ctx, kryptos.DeFiTotalsParams{})
	if err != nil {
		return fmt.Errorf("read the DeFi totals: %w", err)
	}
	byCategory := map[kryptos.DeFiCategory]int{}
	positions := 0
	for p, err := range user.ListDeFi(ctx, kryptos.DeFiParams{}) {
		if err != nil {
			return fmt.Errorf("list the DeFi positions: %w", err)
		}
		byCategory[p.Category]++
		positions++
	}
	fmt.Fprintf(out, "\nDeFi: %d positions in %d protocols (values in %s)\n", positions, totals.ConnectedProtocols, totals.BaseCurrency)
	printTable(out, []column{{title: ""}, {title: "", right: true}}, [][]string{
		{"Total balance", money(totals.TotalBalance)},
		{"Borrowed", money(totals.Borrowed)},
		{"Net", money(totals.TotalBalance - totals.Borrowed)},
		{"Earned rewards", money(totals.EarnedRewards)},
	})
	if positions == 0 {
		return nil
	}
	categories := slices.SortedFunc(maps.Keys(byCategory), func(a, b kryptos.DeFiCategory) int {
		return cmp.Or(cmp.Compare(byCategory[b], byCategory[a]), cmp.Compare(a, b))
	})
	rows := make([][]string, 0, len(categories))
	for _, c := range categories {
		rows = append(rows, []string{string(c), strconv.Itoa(byCategory[c])})
	}
	fmt.Fprintln(out)
	printTable(out, []column{{title: "Category"}, {title: "Positions", right: true}}, rows)
	return nil
}

// printNFTs prints how many NFTs the user holds, their estimated value, and
// their largest collections.
func printNFTs(ctx context.Context, out io.Writer, user *kryptos.UserClient) error {
	// One NFT a page is enough: the page carries the count and the value.
	nfts, err := user.ListNFTsPage(ctx, kryptos.NFTParams{Limit: 1})
	if err != nil {
		return fmt.Errorf("read the NFT summary: %w", err)
	}
	// Keep the most valuable collections only, however many there are.
	var top []kryptos.NFTCollection
	collections := 0
	byValue := func(a, b kryptos.NFTCollection) int { return cmp.Compare(b.TotalValueUSD, a.TotalValueUSD) }
	for c, err := range user.ListNFTCollections(ctx, kryptos.NFTParams{}) {
		if err != nil {
			return fmt.Errorf("list the NFT collections: %w", err)
		}
		collections++
		i, _ := slices.BinarySearchFunc(top, c, byValue)
		if i < topCollections {
			top = slices.Insert(top, i, c)[:min(len(top)+1, topCollections)]
		}
	}
	fmt.Fprintf(out, "\nNFTs: %s in %s, estimated at %s USD\n",
		plural(nfts.Total, "token"), plural(collections, "collection"), money(nfts.Summary.TotalEstimatedValueUSD))
	if len(top) == 0 {
		return nil
	}
	rows := make([][]string, 0, len(top))
	for _, c := range top {
		rows = append(rows, []string{cmp.Or(c.Name, c.CollectionID), strconv.Itoa(c.ItemCount), money(c.TotalValueUSD)})
	}
	title := "Collection"
	if collections > len(top) {
		title = fmt.Sprintf("Top %d collections", len(top))
	}
	printTable(out, []column{{title: title}, {title: "Tokens", right: true}, {title: "Value (USD)", right: true}}, rows)
	return nil
}

// legs prints the assets of one side of a transaction, such as
// "1.5 ETH + 200 USDC", each quantity printed by format.
func legs(ls []kryptos.Leg, format func(kryptos.Decimal) string) string {
	parts := make([]string, 0, len(ls))
	for _, l := range ls {
		symbol := "?" // an asset Kryptos has not resolved
		if l.Asset != nil {
			symbol = l.Asset.Symbol
		}
		parts = append(parts, format(l.Quantity)+" "+symbol)
	}
	return strings.Join(parts, " + ")
}

// short prints an exact quantity without the trailing zeros of the API's
// 18 fixed decimals ("0.386378230000000000" is "0.38637823"): the same
// number, easier to read in a table.
func short(d kryptos.Decimal) string {
	s := d.String()
	if !strings.Contains(s, ".") || strings.ContainsAny(s, "eE") {
		return s
	}
	return strings.TrimSuffix(strings.TrimRight(s, "0"), ".")
}

// txValue prints a transaction's value, or "-" when it is not priced.
func txValue(tx kryptos.Transaction) string {
	if tx.NetValue.FiatValue == nil {
		return "-"
	}
	return money(*tx.NetValue.FiatValue) + " " + tx.NetValue.Currency
}

// quantity prints a holding's quantity, which the API sends as a JSON
// number, in the fewest digits that read back as the same number.
func quantity(q float64) string { return strconv.FormatFloat(q, 'f', -1, 64) }

// money prints an amount with two decimals and thousands separators.
func money(v float64) string {
	s := strconv.FormatFloat(v, 'f', 2, 64)
	sign := ""
	if s[0] == '-' {
		sign, s = "-", s[1:]
	}
	whole, cents, _ := strings.Cut(s, ".")
	var b strings.Builder
	for i, d := range whole {
		if i > 0 && (len(whole)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(d)
	}
	return sign + b.String() + "." + cents
}

func plural(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return strconv.Itoa(n) + " " + noun + "s"
}

// column is a column of printTable.
type column struct {
	title string
	right bool // align right, as for numbers
}

// printTable prints rows as aligned columns under their titles; a table
// whose titles are all "" has no header.
func printTable(out io.Writer, cols []column, rows [][]string) {
	widths := make([]int, len(cols))
	header := false
	for i, c := range cols {
		widths[i] = utf8.RuneCountInString(c.title)
		header = header || c.title != ""
	}
	for _, r := range rows {
		for i, cell := range r {
			widths[i] = max(widths[i], utf8.RuneCountInString(cell))
		}
	}
	line := func(cells []string) {
		var b strings.Builder
		b.WriteString("  ")
		for i, cell := range cells {
			pad := strings.Repeat(" ", widths[i]-utf8.RuneCountInString(cell))
			if i > 0 {
				b.WriteString("  ")
			}
			if cols[i].right {
				b.WriteString(pad + cell)
			} else {
				b.WriteString(cell + pad)
			}
		}
		fmt.Fprintln(out, strings.TrimRight(b.String(), " "))
	}
	if header {
		titles := make([]string, len(cols))
		rules := make([]string, len(cols))
		for i, c := range cols {
			titles[i] = c.title
			rules[i] = strings.Repeat("-", widths[i])
		}
		line(titles)
		line(rules)
	}
	for _, r := range rows {
		line(r)
	}
}
