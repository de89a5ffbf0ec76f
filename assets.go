package kryptos

import (
	"context"
	"errors"
	"fmt"
	"iter"
	"unicode/utf8"

	"github.com/kryptos-connect/kryptos-go/internal/httpcore"
)

// AssetType is the kind of an asset. The asset search knows four kinds;
// holdings send the first three only (DATA-API.md §8.14). Values the
// package does not know are kept as sent.
type AssetType string

// The documented asset types.
const (
	AssetCrypto     AssetType = "crypto"
	AssetFiat       AssetType = "fiat"
	AssetNFT        AssetType = "nft"
	AssetStablecoin AssetType = "stablecoin"
)

// CatalogAsset is an asset of Kryptos' asset catalogue, as the asset
// search finds it (DATA-API.md §5.11).
type CatalogAsset struct {
	// ID is the Kryptos asset id: the assetId of holdings, transaction
	// legs, ledgers and spam entries, and what their assetIds filters take.
	ID     string    `json:"id"`
	Symbol string    `json:"symbol"`
	Name   string    `json:"name"`
	Type   AssetType `json:"type"`
	// LogoURL and Category (such as "layer-1") are "" when the API sends
	// null.
	LogoURL  string `json:"logoUrl"`
	Category string `json:"category"`
	// CMCRank is the asset's CoinMarketCap rank; 0 when it has none
	// (null).
	CMCRank int `json:"cmcRank"`
	// Chains are the chains the asset lives on, with its contract on each.
	Chains []AssetChain `json:"chains"`
	// Score is how well the asset matches AssetSearchParams.Query, from 0
	// to 1. It is nil when the search had no query: the API sends it only
	// then.
	Score *float64 `json:"score"`
}

// AssetChain is a chain an asset lives on.
type AssetChain struct {
	ChainID string `json:"chainId"`
	// ContractAddress is the asset's contract on the chain; the native coin
	// of an EVM chain has the zero address, and a chain without contracts
	// may send null ("").
	ContractAddress string `json:"contractAddress"`
}

// AssetSearchParams filter SearchAssets. All are optional: without Query
// the search lists the top assets by market rank.
type AssetSearchParams struct {
	// Query (the API's q) matches symbols and names fuzzily, and orders the
	// results by CatalogAsset.Score; 1 to 100 characters.
	Query string
	// ContractAddress keeps the asset with this contract exactly; up to 255
	// characters.
	ContractAddress string
	// Type keeps one kind of asset.
	Type AssetType
	// Category (such as "layer-1") and ChainID (such as "ethereum"), up to
	// 100 characters each.
	Category string
	ChainID  string
	// Offset is the first result to read; Limit the page size, from 1 to
	// 100 (the API's default when 0; the docs do not say what it is).
	Offset, Limit int
}

const (
	maxAssetSearchLimit = 100
	maxAssetQuery       = 100
	maxContractAddress  = 255
)

// assetsAnswer is {success, data: [...], total, limit, offset}: offset
// paging beside data, without hasMore (DATA-API.md §8.4).
type assetsAnswer struct {
	httpcore.Envelope
	Data  []CatalogAsset `json:"data"`
	Total *int           `json:"total"`
	Limit int            `json:"limit"`
}

func (a *assetsAnswer) WholeEnvelope() *httpcore.Envelope { return &a.Envelope }

func (a *assetsAnswer) page() pageFacts[CatalogAsset, NoSummary] {
	return pageFacts[CatalogAsset, NoSummary]{items: a.Data, total: orMinusOne(a.Total), limit: a.Limit}
}

func (u *UserClient) assetLister(p AssetSearchParams, opts []CallOption) *lister[CatalogAsset, NoSummary] {
	q := newQuery().str("q", p.Query).id("contractAddress", p.ContractAddress).
		oneOf("type", string(p.Type), string(AssetCrypto), string(AssetFiat), string(AssetNFT), string(AssetStablecoin)).
		str("category", p.Category).id("chainId", p.ChainID)
	err := errors.Join(q.check(), checkChars("params.Query", p.Query, maxAssetQuery),
		checkChars("params.ContractAddress", p.ContractAddress, maxContractAddress),
		checkChars("params.Category", p.Category, maxAssetQuery), checkChars("params.ChainID", p.ChainID, maxAssetQuery),
		checkPosition("params.Offset", p.Offset), checkLimit("params.Limit", p.Limit, maxAssetSearchLimit))
	return &lister[CatalogAsset, NoSummary]{u: u, op: opSearchAssets, query: q.v, style: byOffset, start: p.Offset,
		limit: p.Limit, answer: func() pageAnswer[CatalogAsset, NoSummary] { return &assetsAnswer{} }, fullPage: maxAssetSearchLimit, opts: opts, err: err}
}

// SearchAssets iterates over the assets of Kryptos' catalogue that match
// p: GET /v1/assets/search, page after page as the loop asks for them.
// Without p.Query the assets come by market rank (CMCRank), with it by
// Score, best first. It needs the user's token but no scope and no
// workspace. With p.Limit 0 it asks for pages of 100, the most the API
// gives, to spend fewer calls of the data quota.
//
// To resolve a contract to its Kryptos asset id:
//
//	for a, err := range user.SearchAssets(ctx, kryptos.AssetSearchParams{ContractAddress: addr, ChainID: "ethereum"}) { ... }
func (u *UserClient) SearchAssets(ctx context.Context, p AssetSearchParams, opts ...CallOption) iter.Seq2[CatalogAsset, error] {
	return u.assetLister(p, opts).all(ctx)
}

// SearchAssetsPage returns one page of the asset search, with the number
// of matches: GET /v1/assets/search. Page.Next fetches the next one.
func (u *UserClient) SearchAssetsPage(ctx context.Context, p AssetSearchParams, opts ...CallOption) (*Page[CatalogAsset, NoSummary], error) {
	return u.assetLister(p, opts).first(ctx)
}

// checkChars accepts text of at most n characters, the bound the API
// documents for a parameter.
func checkChars(field, v string, n int) error {
	if utf8.RuneCountInString(v) > n {
		return &ParamError{field, fmt.Sprintf("must be at most %d characters", n)}
	}
	return nil
}
