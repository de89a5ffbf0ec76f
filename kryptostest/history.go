package kryptostest

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"math"
	"math/rand/v2"
	"strconv"
	"strings"
	"time"
)

// The transaction history of an integration, generated deterministically
// from its wallet id: the same wallet always has the same history, with
// deposits, trades, withdrawals, transfers, payments, rewards and the odd
// spam airdrop, incoming, outgoing and fee legs, running balances and
// average-cost gains. The data API's transactions, ledgers, holdings and
// balances are all read from it.

// DefaultTransactionsPerIntegration is how many transactions each connected
// integration has, unless WithPortfolioSize says otherwise.
const DefaultTransactionsPerIntegration = 240

// txRecord is one transaction.
type txRecord struct {
	id    string
	at    time.Time
	typ   string // deposit, withdrawal, trade, transfer, payment
	label string
	desc  string
	hash  string
	in    []*legRecord
	out   []*legRecord
	fee   []*legRecord
	// spam marks an airdrop of a spam token, labelled Spam.
	spam bool
}

// legRecord is one leg of a transaction: one ledger entry.
type legRecord struct {
	id    string
	tx    *txRecord
	kind  string // incoming, outgoing, fee
	asset *assetInfo
	// qty, before and after are in the asset's base units (see scale).
	qty, before, after int64
	// price is the asset's USD price at the time of the transaction.
	price float64
	// costbasis, proceeds and profit are USD amounts; proceeds and profit
	// are not known for incoming legs.
	costbasis, proceeds, profit float64
	hasGains                    bool
}

func (l *legRecord) value() float64 { return units(l.qty, l.asset) * l.price }

// apiType is the transaction's type as the data API derives it from its
// label (DATA-API.md §5.7, "null when label maps to no type"): none for
// the common labels, such as Spam, whose type is null (§5.10). typ stays
// what the transaction did, for the sandbox's own bookkeeping.
func (t *txRecord) apiType() string {
	for _, l := range commonLabels {
		if l.name == t.label {
			return ""
		}
	}
	return t.typ
}

// legs returns every leg of the transaction: incoming, outgoing, then fees.
func (t *txRecord) legs() []*legRecord {
	out := make([]*legRecord, 0, len(t.in)+len(t.out)+len(t.fee))
	return append(append(append(out, t.in...), t.out...), t.fee...)
}

// scale is the number of base units in one unit of a: quantities keep at
// most 8 digits after the point, padded with zeros to the asset's own
// precision when printed.
func scale(a *assetInfo) int64 { return int64(math.Pow10(min(a.decimals, 8))) }

func units(q int64, a *assetInfo) float64 { return float64(q) / float64(scale(a)) }

func baseUnits(u float64, a *assetInfo) int64 { return int64(u * float64(scale(a))) }

// decimalText prints a quantity of a as the API's decimal string, with the
// asset's full precision: "1.000000000000000000" for one ETH.
func decimalText(q int64, a *assetInfo) string {
	p := min(a.decimals, 8)
	neg := q < 0
	if neg {
		q = -q
	}
	s := strconv.FormatInt(q, 10)
	if len(s) <= p {
		s = strings.Repeat("0", p-len(s)+1) + s
	}
	whole, frac := s[:len(s)-p], s[len(s)-p:]
	if a.decimals > p {
		frac += strings.Repeat("0", a.decimals-p)
	}
	if neg {
		whole = "-" + whole
	}
	if frac == "" {
		return whole
	}
	return whole + "." + frac
}

// usd prints a USD amount as a decimal string with cents.
func usd(v float64) string { return strconv.FormatFloat(v, 'f', 2, 64) }

// generateHistory builds n transactions for an integration of provider p,
// ending at end, oldest first.
func generateHistory(walletID string, p *providerInfo, n int, end time.Time) []*txRecord {
	seed := sha256.Sum256([]byte(walletID))
	rng := rand.New(rand.NewPCG(binary.BigEndian.Uint64(seed[:8]), binary.BigEndian.Uint64(seed[8:16])))
	g := &generator{rng: rng, wallet: walletID, provider: p, held: map[*assetInfo]int64{}, cost: map[*assetInfo]float64{}}
	for _, s := range p.holds {
		g.holds = append(g.holds, assetBySymbol(s))
	}
	if p.chain == "ethereum" || p.chain == "solana" {
		g.gas = g.holds[0]
	}
	start := end.Add(-2 * 365 * 24 * time.Hour)
	step := end.Sub(start) / time.Duration(n+1)
	txs := make([]*txRecord, 0, n)
	for i := range n {
		at := start.Add(step*time.Duration(i+1) + time.Duration(rng.Int64N(int64(step)/2))).Truncate(time.Second)
		g.frac = float64(i+1) / float64(n+1)
		txs = append(txs, g.next(i, at))
	}
	return txs
}

type generator struct {
	rng      *rand.Rand
	wallet   string
	provider *providerInfo
	holds    []*assetInfo
	gas      *assetInfo // the asset fees are paid in on a chain; nil on exchanges
	held     map[*assetInfo]int64
	cost     map[*assetInfo]float64 // total USD cost of what is held
	frac     float64                // how far through the history, 0 to 1
	legSeq   int
}

// priceAt is a's price at the current point of the history: a trend up to
// today's catalogue price, with a wobble.
func (g *generator) priceAt(a *assetInfo) float64 {
	if a.typ == "stablecoin" {
		return a.price
	}
	p := a.price * (0.55 + 0.45*g.frac) * (1 + 0.06*math.Sin(g.frac*37+float64(a.cmcRank)))
	return math.Round(p*1e6) / 1e6
}

// airdrops names, per chain, the token that arrives unasked in its
// wallets: a spam token on Ethereum, BONK (real, but airdropped and often
// flagged by mistake) on Solana.
var airdrops = map[string]string{"ethereum": "SCAM", "solana": "BONK"}

func (g *generator) next(i int, at time.Time) *txRecord {
	id := g.uuid("tx", i)
	tx := &txRecord{id: id, at: at, hash: g.hash(i)}
	roll := g.rng.IntN(100)
	funded := g.fundedAssets()
	switch {
	case i < 3 || len(funded) == 0 || roll < 20:
		a := g.holds[min(i, len(g.holds)-1)]
		if i >= 3 {
			a = g.holds[g.rng.IntN(len(g.holds))]
		}
		g.receive(tx, a, (50+g.rng.Float64()*4950)/g.priceAt(a))
		tx.typ, tx.label, tx.desc = "deposit", "Deposit", "Deposit of "+a.symbol
	case roll < 25 && airdrops[g.provider.chain] != "":
		// An unsolicited token of the wallet's own chain: Bitcoin has no
		// tokens to airdrop.
		scam := assetBySymbol(airdrops[g.provider.chain])
		g.receive(tx, scam, 1000+float64(g.rng.IntN(9000)))
		tx.typ, tx.label, tx.desc, tx.spam = "deposit", "Spam", "Airdrop of "+scam.symbol, scam.spam
	case roll < 33:
		a := g.holds[g.rng.IntN(len(g.holds))]
		g.receive(tx, a, (5+g.rng.Float64()*95)/g.priceAt(a))
		tx.typ, tx.label, tx.desc = "deposit", "Staking Reward", "Reward in "+a.symbol
	case roll < 68 && len(g.holds) > 1: // a one-asset wallet (bitcoin) cannot trade
		from := funded[g.rng.IntN(len(funded))]
		to := g.holds[g.rng.IntN(len(g.holds))]
		for to == from {
			to = g.holds[g.rng.IntN(len(g.holds))]
		}
		sold := g.send(tx, "outgoing", from, g.part(from, 0.1, 0.6))
		g.receive(tx, to, sold*0.997/g.priceAt(to))
		g.payFee(tx)
		tx.typ, tx.label = "trade", "Trade"
		if to.typ == "stablecoin" {
			tx.label = "Sell"
		} else if from.typ == "stablecoin" {
			tx.label = "Buy"
		}
		tx.desc = "Swap " + from.symbol + " for " + to.symbol
	case roll < 82:
		a := funded[g.rng.IntN(len(funded))]
		g.send(tx, "outgoing", a, g.part(a, 0.1, 0.4))
		g.payFee(tx)
		tx.typ, tx.label, tx.desc = "withdrawal", "Withdrawal", "Withdrawal of "+a.symbol
	case roll < 91:
		a := funded[g.rng.IntN(len(funded))]
		g.send(tx, "outgoing", a, g.part(a, 0.05, 0.2))
		tx.typ, tx.label, tx.desc = "transfer", "Transfer", "Transfer of "+a.symbol+" to another own account"
	default:
		a := funded[g.rng.IntN(len(funded))]
		g.send(tx, "outgoing", a, g.part(a, 0.01, 0.05))
		tx.typ, tx.label, tx.desc = "payment", "Payment", "Payment in "+a.symbol
	}
	return tx
}

// fundedAssets lists the assets held in a quantity worth trading.
func (g *generator) fundedAssets() []*assetInfo {
	var out []*assetInfo
	for _, a := range g.holds {
		if g.held[a] > 0 && units(g.held[a], a)*g.priceAt(a) > 5 {
			out = append(out, a)
		}
	}
	return out
}

// part returns a share, between lo and hi, of what is held of a, in units.
func (g *generator) part(a *assetInfo, lo, hi float64) float64 {
	return units(g.held[a], a) * (lo + g.rng.Float64()*(hi-lo))
}

// receive adds an incoming leg of u units of a.
func (g *generator) receive(tx *txRecord, a *assetInfo, u float64) {
	q := max(baseUnits(u, a), 1)
	l := g.leg(tx, "incoming", a, q)
	l.costbasis = l.value()
	g.cost[a] += l.costbasis
	tx.in = append(tx.in, l)
}

// send adds an outgoing or fee leg of u units of a (at most what is held),
// with its average-cost gains, and returns its USD value.
func (g *generator) send(tx *txRecord, kind string, a *assetInfo, u float64) float64 {
	q := min(max(baseUnits(u, a), 1), g.held[a])
	held := g.held[a]
	l := g.leg(tx, kind, a, -q)
	l.qty = q
	share := float64(q) / float64(held)
	l.costbasis = g.cost[a] * share
	g.cost[a] -= l.costbasis
	l.proceeds = l.value()
	l.profit = l.proceeds - l.costbasis
	l.hasGains = true
	if kind == "fee" {
		tx.fee = append(tx.fee, l)
	} else {
		tx.out = append(tx.out, l)
	}
	return l.proceeds
}

// payFee adds a network or exchange fee, when there is something to pay it
// with.
func (g *generator) payFee(tx *txRecord) {
	fee := g.gas
	if fee == nil {
		fee = g.holds[0]
	}
	if g.held[fee] <= 0 {
		return
	}
	g.send(tx, "fee", fee, (0.5+g.rng.Float64()*4.5)/g.priceAt(fee))
}

// leg records a leg that changes the balance of a by delta base units.
func (g *generator) leg(tx *txRecord, kind string, a *assetInfo, delta int64) *legRecord {
	g.legSeq++
	before := g.held[a]
	g.held[a] += delta
	return &legRecord{id: "led_" + g.short("led", g.legSeq), tx: tx, kind: kind, asset: a, qty: delta,
		before: before, after: g.held[a], price: g.priceAt(a)}
}

// uuid returns a deterministic UUID for the i-th thing of a kind.
func (g *generator) uuid(kind string, i int) string {
	h := sha256.Sum256([]byte(fmt.Sprintf("%s/%s/%d", g.wallet, kind, i)))
	h[6] = h[6]&0x0f | 0x40
	h[8] = h[8]&0x3f | 0x80
	x := hex.EncodeToString(h[:16])
	return x[:8] + "-" + x[8:12] + "-" + x[12:16] + "-" + x[16:20] + "-" + x[20:32]
}

func (g *generator) short(kind string, i int) string {
	h := sha256.Sum256([]byte(fmt.Sprintf("%s/%s/%d", g.wallet, kind, i)))
	return hex.EncodeToString(h[:6])
}

// hash is the transaction's id on its platform: a chain hash for a wallet,
// an exchange's trade id otherwise.
func (g *generator) hash(i int) string {
	h := sha256.Sum256([]byte(fmt.Sprintf("%s/hash/%d", g.wallet, i)))
	if g.provider.chain == "" {
		return strings.ToUpper(hex.EncodeToString(h[:10]))
	}
	return "0x" + hex.EncodeToString(h[:])
}
