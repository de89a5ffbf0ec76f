package kryptostest

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"math/big"
	"math/rand/v2"
	"sort"
	"strconv"
	"strings"
	"time"
)

// The NFTs of the sandbox, generated deterministically from each chain
// wallet's id: an Ethereum-chain wallet holds a Bored Ape, one or two
// Pudgy Penguins, one to three ENS names and a spam voucher someone
// airdropped; a Solana wallet holds one or two Mad Lads. Exchanges, CSV
// imports and Bitcoin wallets hold none. Prices are the collections' floor
// with a premium per token, in USD, and do not move.

// nftCollectionInfo is one collection.
type nftCollectionInfo struct {
	id, name, chain, contract string
	standard                  string // erc721, metaplex
	marketplace               string // where prices come from
	// floor is the floor price in USD; 0 when unknown.
	floor    float64
	verified bool
	spam     bool
}

func (c *nftCollectionInfo) image() string {
	return "https://sandbox.kryptos.invalid/nfts/" + c.id + ".png"
}

var (
	nftBoredApes = &nftCollectionInfo{id: "boredapeyachtclub", name: "Bored Ape Yacht Club", chain: "ethereum",
		contract: "0xbc4ca0eda7647a8ab7c2061c2e118a18a936f13d", standard: "erc721", marketplace: "opensea", floor: 18400, verified: true}
	nftPudgyPenguins = &nftCollectionInfo{id: "pudgypenguins", name: "Pudgy Penguins", chain: "ethereum",
		contract: "0xbd3531da5cf5857e7cfaa92426877b022e612cf8", standard: "erc721", marketplace: "opensea", floor: 32500, verified: true}
	nftENS = &nftCollectionInfo{id: "ens", name: "ENS: Ethereum Name Service", chain: "ethereum",
		contract: "0x57f1887a8bf19b14fc0df6fd9b2acc9af147ea85", standard: "erc721", marketplace: "opensea", floor: 35, verified: true}
	nftSpamVoucher = &nftCollectionInfo{id: "eth-claim-voucher", chain: "ethereum",
		contract: "0x7a11e2a4f0fc1c6e5d7e2b0e3f1b5c9d4a6e8f01", standard: "erc721", marketplace: "opensea", spam: true}
	nftMadLads = &nftCollectionInfo{id: "madlads", name: "Mad Lads", chain: "solana",
		contract: "J1S9H3QjnRtBbbuD4HjPV6RpRhwuk4zKbxsnCHuTgh9w", standard: "metaplex", marketplace: "magiceden", floor: 5200, verified: true}
)

// nftRecord is one token a wallet holds.
type nftRecord struct {
	id      string
	in      *integration
	coll    *nftCollectionInfo
	tokenID string
	name    string
	// price is the estimated value in USD; at when it was taken.
	price float64
	at    time.Time
	// sale is the token's last sale; nil for one minted, registered or
	// airdropped and never sold.
	sale   *nftSale
	traits [][2]string
}

type nftSale struct {
	price float64
	at    time.Time
	hash  string
}

// nftsOf returns the tokens of one integration, valued at valuedAt.
func nftsOf(in *integration, valuedAt time.Time) []*nftRecord {
	seed := sha256.Sum256([]byte(in.walletID + "/nft"))
	r := rand.New(rand.NewPCG(binary.BigEndian.Uint64(seed[:8]), binary.BigEndian.Uint64(seed[8:16])))
	g := nftGenerator{r: r, in: in, at: valuedAt}
	switch in.provider.chain {
	case "ethereum":
		g.token(nftBoredApes, strconv.Itoa(r.IntN(10_000)), "", 0.35, true)
		for range 1 + r.IntN(2) {
			g.token(nftPudgyPenguins, strconv.Itoa(r.IntN(8_888)), "", 0.25, true)
		}
		labels := []string{"vault", "kryptos", "satoshi-fan", "defi-diary", "moonbag", "hodl-house"}
		for range 1 + r.IntN(3) {
			label := labels[r.IntN(len(labels))] + strconv.Itoa(r.IntN(1000))
			// An ENS name's token id is the 256-bit hash of its label, in
			// decimal.
			h := sha256.Sum256([]byte(label))
			g.token(nftENS, new(big.Int).SetBytes(h[:]).String(), label+".eth", 3, false)
		}
		g.token(nftSpamVoucher, strconv.Itoa(1+r.IntN(99_999)), "Voucher: claim 2.5 ETH at eth-claim.invalid", 0, false)
	case "solana":
		for range 1 + r.IntN(2) {
			h := sha256.Sum256(fmt.Appendf(nil, "%s/madlads/%d", in.walletID, len(g.out)))
			g.token(nftMadLads, base58(h[:]), fmt.Sprintf("Mad Lad #%d", 1+r.IntN(10_000)), 0.5, true)
		}
	}
	return g.out
}

type nftGenerator struct {
	r   *rand.Rand
	in  *integration
	at  time.Time
	out []*nftRecord
}

// token adds a token of c worth its floor plus up to premium (a share of
// the floor), and a last sale when sold.
func (g *nftGenerator) token(c *nftCollectionInfo, tokenID, name string, premium float64, sold bool) {
	if name == "" {
		name = c.name + " #" + tokenID
	}
	n := &nftRecord{in: g.in, coll: c, tokenID: tokenID, name: name, at: g.at,
		id:    stableID("nft_", g.in.walletID, c.contract, tokenID),
		price: round2(c.floor * (1 + premium*g.r.Float64())),
		traits: [][2]string{{"Background", []string{"Blue", "Orange", "Purple", "Yellow"}[g.r.IntN(4)]},
			{"Rarity", []string{"Common", "Uncommon", "Rare"}[g.r.IntN(3)]}}}
	if sold {
		h := sha256.Sum256([]byte(n.id + "/sale"))
		hash := "0x" + hex.EncodeToString(h[:])
		if c.chain == "solana" { // a transaction signature: 64 bytes in base58
			h2 := sha256.Sum256(h[:])
			hash = base58(append(h[:], h2[:]...))
		}
		n.sale = &nftSale{price: round2(c.floor * (0.6 + 0.8*g.r.Float64())),
			at: g.at.Add(-time.Duration(100+g.r.IntN(600)) * 24 * time.Hour).Truncate(time.Second), hash: hash}
	}
	g.out = append(g.out, n)
}

// nfts returns the tokens of the integrations at now, the most valuable
// first. An integration shows none before its first sync has finished.
func (s *Server) nfts(ins []*integration, now time.Time) []*nftRecord {
	var out []*nftRecord
	for _, in := range ins {
		if at, ok := s.defiValuedAt(in, now); ok {
			out = append(out, nftsOf(in, at)...)
		}
	}
	sort.SliceStable(out, func(i, j int) bool {
		if out[i].price != out[j].price {
			return out[i].price > out[j].price
		}
		return out[i].id < out[j].id
	})
	return out
}

// nftFilter is the filters of the NFT lists.
type nftFilter struct {
	chain, collectionID, integrationID, search string
	includeSpam                                bool
}

func (f *nftFilter) keep(n *nftRecord) bool {
	search := strings.ToLower(f.search)
	switch {
	case n.coll.spam && !f.includeSpam,
		f.chain != "" && n.coll.chain != f.chain,
		f.collectionID != "" && n.coll.id != f.collectionID,
		f.integrationID != "" && n.in.walletID != f.integrationID,
		search != "" && !strings.Contains(strings.ToLower(n.name), search) && !strings.Contains(strings.ToLower(n.coll.name), search):
		return false
	}
	return true
}

// nftSameContract compares contract addresses: EVM addresses in any case,
// others (Solana's base58) exactly.
func nftSameContract(a, b string) bool {
	if strings.HasPrefix(a, "0x") && strings.HasPrefix(b, "0x") {
		return strings.EqualFold(a, b)
	}
	return a == b
}

// nftTotal is the estimated value of the tokens, rounded to cents.
func nftTotal(list []*nftRecord) float64 {
	total := 0.0
	for _, n := range list {
		total += n.price
	}
	return round2(total)
}
