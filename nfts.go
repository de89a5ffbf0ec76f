package kryptos

import (
	"context"
	"encoding/json"
	"errors"
	"iter"
)

// NFT is one non-fungible token a connected wallet holds (DATA-API.md
// §5.5).
type NFT struct {
	ID              string `json:"id"`
	ContractAddress string `json:"contractAddress"`
	// TokenID is the token's id within its contract, such as "1234", an
	// ENS name's 78-digit number, or a Solana mint address. The API sends a
	// string; a JSON number is kept as its exact text.
	TokenID string `json:"tokenId"`
	Chain   string `json:"chain"`
	// AssetRaw is the NFT provider's own description of the token (name,
	// image, attributes...), passed through as the API sent it.
	AssetRaw json.RawMessage `json:"assetRaw"`
	// Price is the token's estimated value; nil when the API sends none.
	Price *Price `json:"price"`
	// Collection describes the token's collection, with its floor price
	// where known; LastSale the token's last sale. Both are passed through
	// as the API sent them.
	Collection json.RawMessage `json:"collection"`
	LastSale   json.RawMessage `json:"lastSale"`
	// Source is the connected wallet that holds the token.
	Source Account `json:"source"`
	IsSpam bool    `json:"isSpam"`
}

// UnmarshalJSON reads TokenID from a string or a number.
func (n *NFT) UnmarshalJSON(b []byte) error {
	type plain NFT
	var w struct {
		*plain
		TokenID defiText `json:"tokenId"`
	}
	w.plain = (*plain)(n)
	if err := json.Unmarshal(b, &w); err != nil {
		return err
	}
	n.TokenID = string(w.TokenID)
	return nil
}

// NFTCollection is one row of GET /v1/nfts/collections: the user's NFTs of
// one collection.
type NFTCollection struct {
	CollectionID string `json:"collectionId"`
	// Name and ImageURL are "" when the API sends null.
	Name     string `json:"name"`
	ImageURL string `json:"imageUrl"`
	// ItemCount counts the user's tokens of the collection.
	ItemCount int `json:"itemCount"`
	// TotalValueUSD is their estimated value, in US dollars.
	TotalValueUSD float64 `json:"totalValueUsd"`
}

// UnmarshalJSON reads the nullable Name and ImageURL.
func (c *NFTCollection) UnmarshalJSON(b []byte) error {
	type plain NFTCollection
	var w struct {
		*plain
		Name     *string `json:"name"`
		ImageURL *string `json:"imageUrl"`
	}
	w.plain = (*plain)(c)
	if err := json.Unmarshal(b, &w); err != nil {
		return err
	}
	c.Name, c.ImageURL = "", ""
	if w.Name != nil {
		c.Name = *w.Name
	}
	if w.ImageURL != nil {
		c.ImageURL = *w.ImageURL
	}
	return nil
}

// NFTSummary is what the NFT lists report beside their entries.
type NFTSummary struct {
	// TotalEstimatedValueUSD is the estimated value, in US dollars, of the
	// NFTs of the whole workspace, or of the whole portfolio on a
	// portfolio's list: the docs call it that, "not the page". They do not
	// say whether the filters narrow it; the sandbox does not narrow it.
	TotalEstimatedValueUSD float64
}

// NFTParams filter ListNFTs, ListPortfolioNFTs and ListNFTCollections.
// Every field is optional.
type NFTParams struct {
	// Chain keeps one chain's tokens, such as "ethereum".
	Chain string
	// CollectionID keeps one collection's tokens; on ListNFTCollections,
	// that collection's single row.
	CollectionID string
	// IntegrationID keeps one connected account's tokens
	// (Integration.ID).
	IntegrationID string
	// Search matches the NFT's name and its collection's name.
	Search string
	// IncludeSpam also lists tokens flagged as spam (the API's default is
	// false).
	IncludeSpam *bool
	// Offset is the first entry to read (0 when 0); Limit the page size, up
	// to 1000 (the API's default, 50, when 0; the iterating methods ask
	// for 1000).
	Offset, Limit int
}

const maxNFTLimit = 1000

// nftPage is the totals-only shape {success, data, totalCount,
// totalEstimatedValueUsd} (DATA-API.md §2.2, family D): no offset, limit
// or hasMore come back, so the engine stops when offset + entries reach
// totalCount.
type nftPage[T any] struct {
	flatPage[T]
	TotalEstimatedValueUSD float64 `json:"totalEstimatedValueUsd"`
}

func (a *nftPage[T]) page() pageFacts[T, NFTSummary] {
	f := a.facts()
	return pageFacts[T, NFTSummary]{items: f.items, total: f.total, hasMore: f.hasMore, limit: f.limit,
		summary: NFTSummary{TotalEstimatedValueUSD: a.TotalEstimatedValueUSD}}
}

func nftLister[T any](u *UserClient, op *operation, params []string, p NFTParams, opts []CallOption, problems ...error) *lister[T, NFTSummary] {
	q := newQuery().str("chain", p.Chain).id("collectionId", p.CollectionID).id("integrationId", p.IntegrationID).
		str("search", p.Search).flag("includeSpam", p.IncludeSpam)
	problems = append(problems, q.check(), checkPosition("params.Offset", p.Offset), checkLimit("params.Limit", p.Limit, maxNFTLimit))
	err := errors.Join(problems...)
	return &lister[T, NFTSummary]{u: u, op: op, params: params, query: q.v, style: byOffset, start: p.Offset,
		limit: p.Limit, answer: func() pageAnswer[T, NFTSummary] { return &nftPage[T]{} }, fullPage: maxNFTLimit, opts: opts, err: err}
}

// ListNFTs iterates over the NFTs of the user's connected wallets:
// GET /v1/nfts, page after page as the loop asks for them, 1000 a page
// unless p.Limit says otherwise.
func (u *UserClient) ListNFTs(ctx context.Context, p NFTParams, opts ...CallOption) iter.Seq2[NFT, error] {
	return nftLister[NFT](u, opListNFTs, nil, p, opts).all(ctx)
}

// ListNFTsPage returns one page of the user's NFTs: GET /v1/nfts. Its
// Total counts the filtered NFTs; its Summary carries the estimated value
// of all of them. Page.Next fetches the next one.
func (u *UserClient) ListNFTsPage(ctx context.Context, p NFTParams, opts ...CallOption) (*Page[NFT, NFTSummary], error) {
	return nftLister[NFT](u, opListNFTs, nil, p, opts).first(ctx)
}

// ListPortfolioNFTs iterates over the NFTs of the wallets in one
// portfolio: GET /v1/nfts/portfolio/{portfolioId}. It pages as ListNFTs
// does. An unknown portfolio matches ErrNotFound.
func (u *UserClient) ListPortfolioNFTs(ctx context.Context, portfolioID string, p NFTParams, opts ...CallOption) iter.Seq2[NFT, error] {
	return nftLister[NFT](u, opListPortfolioNFTs, []string{portfolioID}, p, opts, checkSegment("portfolioID", portfolioID)).all(ctx)
}

// ListPortfolioNFTsPage returns one page of a portfolio's NFTs:
// GET /v1/nfts/portfolio/{portfolioId}.
func (u *UserClient) ListPortfolioNFTsPage(ctx context.Context, portfolioID string, p NFTParams, opts ...CallOption) (*Page[NFT, NFTSummary], error) {
	return nftLister[NFT](u, opListPortfolioNFTs, []string{portfolioID}, p, opts, checkSegment("portfolioID", portfolioID)).first(ctx)
}

// ListNFTCollections iterates over the user's NFTs grouped by collection:
// GET /v1/nfts/collections. With p.CollectionID it yields that one
// collection's row.
func (u *UserClient) ListNFTCollections(ctx context.Context, p NFTParams, opts ...CallOption) iter.Seq2[NFTCollection, error] {
	return nftLister[NFTCollection](u, opListNFTCollections, nil, p, opts).all(ctx)
}

// ListNFTCollectionsPage returns one page of the user's NFT collections:
// GET /v1/nfts/collections. Its Total counts the distinct collections.
func (u *UserClient) ListNFTCollectionsPage(ctx context.Context, p NFTParams, opts ...CallOption) (*Page[NFTCollection, NFTSummary], error) {
	return nftLister[NFTCollection](u, opListNFTCollections, nil, p, opts).first(ctx)
}

// GetNFT returns one of the user's NFTs by its contract address and token
// id: GET /v1/nfts/{contractAddress}/{tokenId}. An NFT the user does not
// hold matches ErrNotFound (the API answers 404 {"success": false,
// "error": "Not found"}, without a code).
func (u *UserClient) GetNFT(ctx context.Context, contractAddress, tokenID string, opts ...CallOption) (*NFT, error) {
	return u.getNFT(ctx, opGetNFT, nil, contractAddress, tokenID, opts)
}

// GetPortfolioNFT returns one NFT held by a wallet of one portfolio:
// GET /v1/nfts/portfolio/{portfolioId}/{contractAddress}/{tokenId}. An NFT
// outside the portfolio, or an unknown portfolio, matches ErrNotFound.
func (u *UserClient) GetPortfolioNFT(ctx context.Context, portfolioID, contractAddress, tokenID string, opts ...CallOption) (*NFT, error) {
	if err := checkSegment("portfolioID", portfolioID); err != nil {
		return nil, invalid(opGetPortfolioNFT, err)
	}
	return u.getNFT(ctx, opGetPortfolioNFT, []string{portfolioID}, contractAddress, tokenID, opts)
}

func (u *UserClient) getNFT(ctx context.Context, op *operation, params []string, contractAddress, tokenID string, opts []CallOption) (*NFT, error) {
	if err := errors.Join(checkSegment("contractAddress", contractAddress), checkSegment("tokenID", tokenID)); err != nil {
		return nil, invalid(op, err)
	}
	return getObject(ctx, u.c, op, request{params: append(params, contractAddress, tokenID), cred: u.cred}, opts, "NFT", func(n *NFT) string { return n.ID })
}
