package kryptostest

import (
	"crypto/sha256"
	"encoding/binary"
	"math"
	"math/rand/v2"
	"sort"
	"strconv"
	"strings"
	"time"
)

// The DeFi side of the sandbox: a static catalogue of protocols (what
// GET /v1/defi-metadata serves) and the positions each chain wallet holds
// in them, generated deterministically from its wallet id, so the same
// wallet always holds the same positions. Ethereum-chain wallets lend on
// Aave (with a borrow), stake with Lido, provide Uniswap liquidity, and
// some of restaking, Base and Arbitrum positions, Curve rewards and a
// Compound loan, plus one position in a spam protocol; Solana wallets
// stake with Marinade and vest JUP, and some of governance staking, a
// Raydium pool and a Kamino loan. Exchanges, CSV imports and Bitcoin
// wallets hold none.

// defiProtocolInfo is one protocol of the catalogue.
type defiProtocolInfo struct {
	id, name, site, description string
	chains, tags                []string
	tvl                         float64 // USD
	priority, users             int
	// portfolio: Kryptos reads positions in it (isSupportPortfolio);
	// visible: listed by default (isVisible).
	portfolio, visible bool
	// spam marks a protocol whose positions are spam: hidden unless
	// includeSpam.
	spam bool
}

func (p *defiProtocolInfo) logo() string {
	return "https://sandbox.kryptos.invalid/protocols/" + p.id + ".png"
}

// defiProtocols is the catalogue, in no particular order.
var defiProtocols = []*defiProtocolInfo{
	{id: "lido", name: "Lido", site: "https://lido.fi", description: "Liquid staking for Ethereum: stake ETH, hold stETH.",
		chains: []string{"ethereum"}, tags: []string{"liquid-staking", "staking"}, tvl: 28_900_000_000, priority: 98, users: 480_000, portfolio: true, visible: true},
	{id: "aave-v3", name: "Aave V3", site: "https://aave.com", description: "Non-custodial lending markets.",
		chains: []string{"ethereum", "base", "arbitrum"}, tags: []string{"lending"}, tvl: 21_400_000_000, priority: 100, users: 1_250_000, portfolio: true, visible: true},
	{id: "eigenlayer", name: "EigenLayer", site: "https://eigenlayer.xyz", description: "Restaking of ETH and liquid staking tokens.",
		chains: []string{"ethereum"}, tags: []string{"restaking", "staking"}, tvl: 11_200_000_000, priority: 80, users: 160_000, portfolio: true, visible: true},
	{id: "pendle", name: "Pendle", site: "https://pendle.finance", description: "Tokenised yield: principal and yield tokens.",
		chains: []string{"ethereum", "arbitrum"}, tags: []string{"yield", "derivatives"}, tvl: 4_800_000_000, priority: 70, users: 95_000, portfolio: true, visible: true},
	{id: "uniswap-v3", name: "Uniswap V3", site: "https://uniswap.org", description: "Concentrated-liquidity exchange.",
		chains: []string{"ethereum", "base", "arbitrum"}, tags: []string{"dex", "liquidity"}, tvl: 4_100_000_000, priority: 99, users: 3_900_000, portfolio: true, visible: true},
	{id: "compound-v3", name: "Compound V3", site: "https://compound.finance", description: "Single-asset lending markets (Comet).",
		chains: []string{"ethereum", "base"}, tags: []string{"lending"}, tvl: 2_600_000_000, priority: 85, users: 310_000, portfolio: true, visible: true},
	{id: "jupiter", name: "Jupiter", site: "https://jup.ag", description: "Solana's swap aggregator, perpetuals and JUP governance.",
		chains: []string{"solana"}, tags: []string{"dex", "perpetuals", "governance"}, tvl: 2_300_000_000, priority: 90, users: 2_100_000, portfolio: true, visible: true},
	{id: "curve", name: "Curve", site: "https://curve.fi", description: "Stable-swap pools and CRV gauges.",
		chains: []string{"ethereum", "arbitrum"}, tags: []string{"dex", "stableswap"}, tvl: 2_200_000_000, priority: 75, users: 210_000, portfolio: true, visible: true},
	{id: "raydium", name: "Raydium", site: "https://raydium.io", description: "Solana AMM and concentrated liquidity.",
		chains: []string{"solana"}, tags: []string{"dex", "liquidity"}, tvl: 1_900_000_000, priority: 72, users: 1_400_000, portfolio: true, visible: true},
	{id: "marinade", name: "Marinade", site: "https://marinade.finance", description: "Liquid staking for Solana: stake SOL, hold mSOL.",
		chains: []string{"solana"}, tags: []string{"liquid-staking", "staking"}, tvl: 1_600_000_000, priority: 78, users: 140_000, portfolio: true, visible: true},
	{id: "kamino", name: "Kamino", site: "https://kamino.finance", description: "Lending and automated liquidity on Solana.",
		chains: []string{"solana"}, tags: []string{"lending"}, tvl: 1_500_000_000, priority: 74, users: 120_000, portfolio: true, visible: true},
	{id: "aerodrome", name: "Aerodrome", site: "https://aerodrome.finance", description: "Base's central liquidity market.",
		chains: []string{"base"}, tags: []string{"dex", "liquidity"}, tvl: 1_100_000_000, priority: 76, users: 650_000, portfolio: true, visible: true},
	{id: "gmx", name: "GMX", site: "https://gmx.io", description: "Decentralised perpetual exchange.",
		chains: []string{"arbitrum"}, tags: []string{"perpetuals", "derivatives"}, tvl: 500_000_000, priority: 68, users: 330_000, portfolio: true, visible: true},
	{id: "convex", name: "Convex", site: "https://convexfinance.com", description: "Boosted Curve yields (positions not read yet).",
		chains: []string{"ethereum"}, tags: []string{"yield"}, tvl: 1_300_000_000, priority: 60, users: 70_000, portfolio: false, visible: true},
	{id: "claim-rewards-xyz", name: "ClaimRewards (unverified)", site: "https://claim-rewards.invalid", description: "Airdrop bait: an unverified contract.",
		chains: []string{"ethereum"}, tags: []string{"spam"}, tvl: 0, priority: 0, users: 0, portfolio: true, visible: false, spam: true},
}

func defiProtocolByID(id string) *defiProtocolInfo {
	for _, p := range defiProtocols {
		if p.id == id {
			return p
		}
	}
	return nil
}

// defiChainNames are the networks positions live on, by provider id.
var defiChainNames = map[string]string{"ethereum": "Ethereum", "base": "Base", "arbitrum": "Arbitrum One", "solana": "Solana"}

func defiChainLogo(id string) string {
	return "https://sandbox.kryptos.invalid/providers/" + id + ".png"
}

// defiTokenPrices are the USD prices of the protocol tokens that the asset
// catalogue does not hold.
var defiTokenPrices = map[string]float64{
	"stETH": 3195, "mSOL": 182, "JUP": 0.9, "AERO": 1.2, "CRV": 0.4, "RAY": 2.1, "COMP": 52, "CLAIM": 0.25, "KMNO": 0.07,
}

func defiTokenPrice(symbol string) float64 {
	for _, a := range assets {
		if a.symbol == symbol {
			return a.price
		}
	}
	return defiTokenPrices[symbol]
}

// defiAmount is a quantity of a token in a position.
type defiAmount struct {
	symbol string
	amount float64
}

func (a defiAmount) value() float64 { return a.amount * defiTokenPrice(a.symbol) }

func defiSum(list []defiAmount) float64 {
	total := 0.0
	for _, a := range list {
		total += a.value()
	}
	return round2(total)
}

// defiPosition is one position of a wallet.
type defiPosition struct {
	id       string
	in       *integration
	protocol *defiProtocolInfo
	chain    string
	name     string
	category string
	details  []string
	index    string
	// pool is the pool's contract (or program) address.
	pool string
	// at is when the position was valued.
	at time.Time
	// supply is what the position holds, borrow what it owes, rewards
	// what it has earned and not claimed.
	supply, borrow, rewards []defiAmount
	// extra goes into the protocol-defined portfolio object: unlock
	// times, leverage...
	extra map[string]any
	tags  []string
}

func (p *defiPosition) total() float64 { return round2(defiSum(p.supply) + defiSum(p.rewards)) }
func (p *defiPosition) debt() float64  { return defiSum(p.borrow) }
func (p *defiPosition) net() float64   { return round2(p.total() - p.debt()) }

// defiRecipe makes a position from the wallet's random source.
type defiRecipe func(r *rand.Rand, valuedAt time.Time) *defiPosition

// defiEthereumCore are the positions every Ethereum-chain wallet holds;
// defiEthereumMore those it may hold (at least two of them); the same for
// Solana wallets (at least one more).
var (
	defiEthereumCore = []defiRecipe{aaveSupplyWithBorrow, lidoStake, uniswapLiquidity, spamAirdropClaim}
	defiEthereumMore = []defiRecipe{eigenRestake, aaveBaseSupply, aerodromeLiquidity, gmxLong, curveRewards, compoundLoan}
	defiSolanaCore   = []defiRecipe{marinadeStake, jupiterVesting}
	defiSolanaMore   = []defiRecipe{jupiterGovernance, raydiumLiquidity, kaminoLoan}
)

// defiPositionsOf returns the positions of one integration, valued at
// valuedAt: none for exchanges, CSV imports and chains without DeFi.
func defiPositionsOf(in *integration, valuedAt time.Time) []*defiPosition {
	var core, more []defiRecipe
	var minMore int
	switch in.provider.chain {
	case "ethereum":
		core, more, minMore = defiEthereumCore, defiEthereumMore, 2
	case "solana":
		core, more, minMore = defiSolanaCore, defiSolanaMore, 1
	default:
		return nil
	}
	seed := sha256.Sum256([]byte(in.walletID + "/defi"))
	r := rand.New(rand.NewPCG(binary.BigEndian.Uint64(seed[:8]), binary.BigEndian.Uint64(seed[8:16])))
	recipes := append([]defiRecipe(nil), core...)
	picked := 0
	for i, recipe := range more {
		// Each with even odds, but at least minMore of them.
		if r.IntN(2) == 0 || len(more)-i <= minMore-picked {
			recipes = append(recipes, recipe)
			picked++
		}
	}
	out := make([]*defiPosition, 0, len(recipes))
	seen := map[string]int{}
	for _, recipe := range recipes {
		p := recipe(r, valuedAt)
		p.in, p.at = in, valuedAt
		key := p.protocol.id + "/" + p.chain
		if p.index == "" {
			p.index = strconv.Itoa(seen[key])
		}
		seen[key]++
		p.id = stableID("defi_", in.walletID, p.protocol.id, p.chain, p.index, p.name)
		if p.protocol.spam {
			p.tags = append(p.tags, "spam")
		}
		out = append(out, p)
	}
	return out
}

// defiBetween returns a random amount in [lo, hi), rounded to 4 decimals.
func defiBetween(r *rand.Rand, lo, hi float64) float64 {
	return math.Round((lo+r.Float64()*(hi-lo))*1e4) / 1e4
}

func aaveSupplyWithBorrow(r *rand.Rand, at time.Time) *defiPosition {
	supplied := math.Round(defiBetween(r, 20_000, 80_000))
	borrowedETH := math.Round(supplied*defiBetween(r, 0.2, 0.45)/defiTokenPrice("ETH")*1e4) / 1e4
	p := &defiPosition{protocol: defiProtocolByID("aave-v3"), chain: "ethereum", name: "USDC Supply", category: "lending",
		details: []string{"lending"}, pool: "0x87870bca3f3fd6335c3f4ce8392d69350b4fa4e2",
		supply: []defiAmount{{"USDC", supplied}}, borrow: []defiAmount{{"ETH", borrowedETH}}}
	p.extra = map[string]any{"healthRate": math.Round(supplied*0.78/(borrowedETH*defiTokenPrice("ETH"))*100) / 100}
	return p
}

func lidoStake(r *rand.Rand, at time.Time) *defiPosition {
	return &defiPosition{protocol: defiProtocolByID("lido"), chain: "ethereum", name: "stETH", category: "staking",
		details: []string{"common"}, pool: "0xae7ab96520de3a18e5e111b5eaab095312d7fe84",
		supply: []defiAmount{{"stETH", defiBetween(r, 1, 12)}}}
}

func uniswapLiquidity(r *rand.Rand, at time.Time) *defiPosition {
	eth := defiBetween(r, 0.5, 6)
	return &defiPosition{protocol: defiProtocolByID("uniswap-v3"), chain: "ethereum", name: "ETH/USDC 0.05%", category: "farming",
		details: []string{"common"}, pool: "0x88e6a0c2ddd26feeb64f039a2c41296fcb3f5640",
		// A Uniswap V3 position is an NFT: its index is the token id.
		index:   strconv.Itoa(500_000 + r.IntN(400_000)),
		supply:  []defiAmount{{"ETH", eth}, {"USDC", math.Round(eth * defiTokenPrice("ETH") * defiBetween(r, 0.8, 1.2))}},
		rewards: []defiAmount{{"ETH", defiBetween(r, 0.001, 0.05)}, {"USDC", defiBetween(r, 2, 150)}},
		extra:   map[string]any{"feeTier": 500, "inRange": true}}
}

func spamAirdropClaim(r *rand.Rand, at time.Time) *defiPosition {
	return &defiPosition{protocol: defiProtocolByID("claim-rewards-xyz"), chain: "ethereum", name: "Unclaimed airdrop", category: "reward",
		details: []string{"reward"}, pool: "0x5ca3000000000000000000000000000000005ca3",
		rewards: []defiAmount{{"CLAIM", float64(10_000 + r.IntN(40_000))}}}
}

func eigenRestake(r *rand.Rand, at time.Time) *defiPosition {
	return &defiPosition{protocol: defiProtocolByID("eigenlayer"), chain: "ethereum", name: "Restaked stETH", category: "locked",
		details: []string{"locked"}, pool: "0x858646372cc42e1a627fce94aa7a7033e7cf075a",
		supply: []defiAmount{{"stETH", defiBetween(r, 0.5, 8)}},
		extra:  map[string]any{"unlockAt": at.Add(time.Duration(7+r.IntN(60)) * 24 * time.Hour).UnixMilli()}}
}

func aaveBaseSupply(r *rand.Rand, at time.Time) *defiPosition {
	return &defiPosition{protocol: defiProtocolByID("aave-v3"), chain: "base", name: "USDC Supply", category: "lending",
		details: []string{"lending"}, pool: "0xa238dd80c259a72e81d7e4664a9801593f98d1c5",
		supply: []defiAmount{{"USDC", math.Round(defiBetween(r, 1_000, 15_000))}}, extra: map[string]any{"healthRate": nil}}
}

func aerodromeLiquidity(r *rand.Rand, at time.Time) *defiPosition {
	eth := defiBetween(r, 0.2, 3)
	return &defiPosition{protocol: defiProtocolByID("aerodrome"), chain: "base", name: "vAMM-WETH/USDC", category: "farming",
		details: []string{"common"}, pool: "0xcdac0d6c6c59727a65f871236188350531885c43",
		supply:  []defiAmount{{"ETH", eth}, {"USDC", math.Round(eth * defiTokenPrice("ETH"))}},
		rewards: []defiAmount{{"AERO", defiBetween(r, 20, 900)}}}
}

func gmxLong(r *rand.Rand, at time.Time) *defiPosition {
	collateral := math.Round(defiBetween(r, 500, 8_000))
	return &defiPosition{protocol: defiProtocolByID("gmx"), chain: "arbitrum", name: "ETH Long", category: "perpetuals",
		details: []string{"perpetuals"}, pool: "0x489ee077994b6658eafa855c308275ead8097c4a",
		supply: []defiAmount{{"USDC", collateral}},
		extra:  map[string]any{"side": "long", "leverage": float64(2 + r.IntN(8)), "entryPrice": math.Round(defiTokenPrice("ETH") * defiBetween(r, 0.85, 1.1))}}
}

func curveRewards(r *rand.Rand, at time.Time) *defiPosition {
	return &defiPosition{protocol: defiProtocolByID("curve"), chain: "ethereum", name: "crvUSD/USDC gauge rewards", category: "reward",
		details: []string{"reward"}, pool: "0x4dece678ceceb27446b35c672dc7d61f30bad69e",
		rewards: []defiAmount{{"CRV", defiBetween(r, 50, 4_000)}}}
}

func compoundLoan(r *rand.Rand, at time.Time) *defiPosition {
	eth := defiBetween(r, 2, 15)
	return &defiPosition{protocol: defiProtocolByID("compound-v3"), chain: "ethereum", name: "ETH Collateral", category: "lending",
		details: []string{"lending"}, pool: "0xc3d688b66703497daa19211eedff47f25384cdc3",
		supply:  []defiAmount{{"ETH", eth}},
		borrow:  []defiAmount{{"USDC", math.Round(eth * defiTokenPrice("ETH") * defiBetween(r, 0.15, 0.5))}},
		rewards: []defiAmount{{"COMP", defiBetween(r, 0.1, 6)}}}
}

func marinadeStake(r *rand.Rand, at time.Time) *defiPosition {
	return &defiPosition{protocol: defiProtocolByID("marinade"), chain: "solana", name: "mSOL", category: "staking",
		details: []string{"common"}, pool: "MarBmsSgKXdrN1egZf5sqe1TMai9K1rChYNDJgjq7aD",
		supply: []defiAmount{{"mSOL", defiBetween(r, 5, 250)}}}
}

func jupiterVesting(r *rand.Rand, at time.Time) *defiPosition {
	total := math.Round(defiBetween(r, 2_000, 40_000))
	return &defiPosition{protocol: defiProtocolByID("jupiter"), chain: "solana", name: "JUP Vesting", category: "vesting",
		details: []string{"vesting"}, pool: "voTpe3tHQ7AjQHMapgSue2HJFAh2cGsdokqN3XqmVSj",
		supply: []defiAmount{{"JUP", total}},
		extra: map[string]any{"claimableAmount": math.Round(total * defiBetween(r, 0.05, 0.3)),
			"endAt": at.Add(time.Duration(90+r.IntN(300)) * 24 * time.Hour).UnixMilli()}}
}

func jupiterGovernance(r *rand.Rand, at time.Time) *defiPosition {
	return &defiPosition{protocol: defiProtocolByID("jupiter"), chain: "solana", name: "Staked JUP (voting)", category: "governance",
		details: []string{"locked"}, pool: "voTpe3tHQ7AjQHMapgSue2HJFAh2cGsdokqN3XqmVSj",
		supply: []defiAmount{{"JUP", math.Round(defiBetween(r, 500, 20_000))}}, rewards: []defiAmount{{"JUP", defiBetween(r, 5, 300)}},
		extra: map[string]any{"unlockAt": at.Add(30 * 24 * time.Hour).UnixMilli()}}
}

func raydiumLiquidity(r *rand.Rand, at time.Time) *defiPosition {
	sol := defiBetween(r, 3, 80)
	return &defiPosition{protocol: defiProtocolByID("raydium"), chain: "solana", name: "SOL/USDC CLMM", category: "farming",
		details: []string{"common"}, pool: "CAMMCzo5YL8w4VFF8KVHrK22GGUsp5VTaW7grrKgrWqK",
		supply:  []defiAmount{{"SOL", sol}, {"USDC", math.Round(sol * defiTokenPrice("SOL"))}},
		rewards: []defiAmount{{"RAY", defiBetween(r, 1, 120)}}}
}

func kaminoLoan(r *rand.Rand, at time.Time) *defiPosition {
	sol := defiBetween(r, 20, 400)
	p := &defiPosition{protocol: defiProtocolByID("kamino"), chain: "solana", name: "SOL Collateral", category: "lending",
		details: []string{"lending"}, pool: "KLend2g3cP87fffoy8q1mQqGKjrxjC8boSyAYavgmjD",
		supply: []defiAmount{{"SOL", sol}},
		borrow: []defiAmount{{"USDC", math.Round(sol * defiTokenPrice("SOL") * defiBetween(r, 0.1, 0.55))}}}
	p.extra = map[string]any{"healthRate": math.Round(p.total()*0.8/p.debt()*100) / 100}
	return p
}

// defiValuedAt is when the sandbox valued an integration's positions: the
// end of its latest finished sync. ok is false before its first sync has
// finished: the data API shows nothing of it yet.
func (s *Server) defiValuedAt(in *integration, now time.Time) (time.Time, bool) {
	j := in.lastFinished(&s.cfg, now)
	if j == nil {
		return time.Time{}, false
	}
	return j.finishedAt(&s.cfg), true
}

// defiPositions returns the positions of the integrations at now, the
// largest net value first.
func (s *Server) defiPositions(ins []*integration, now time.Time) []*defiPosition {
	var out []*defiPosition
	for _, in := range ins {
		if at, ok := s.defiValuedAt(in, now); ok {
			out = append(out, defiPositionsOf(in, at)...)
		}
	}
	sort.SliceStable(out, func(i, j int) bool {
		if a, b := out[i].net(), out[j].net(); a != b {
			return a > b
		}
		return out[i].id < out[j].id
	})
	return out
}

// defiFilter is the filters of the DeFi lists.
type defiFilter struct {
	category, detailType, integrationID, networkID, search string
	includeSpam                                            bool
}

func (f *defiFilter) keep(p *defiPosition) bool {
	switch {
	case p.protocol.spam && !f.includeSpam,
		f.category != "" && p.category != f.category,
		f.detailType != "" && !defiContains(p.details, f.detailType),
		f.integrationID != "" && p.in.walletID != f.integrationID,
		f.networkID != "" && p.chain != f.networkID,
		f.search != "" && !strings.Contains(strings.ToLower(p.protocol.name), strings.ToLower(f.search)):
		return false
	}
	return true
}

func defiContains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
