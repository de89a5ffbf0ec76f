package kryptostest

import "strings"

// The sandbox's fixed reference data: the assets its portfolios hold and
// the providers its widget offers. Prices are in USD and do not move, so
// every answer is reproducible.

// assetInfo is one asset of the catalogue.
type assetInfo struct {
	id        string // the Kryptos asset id (a UUID)
	tokenID   string // e.g. "bitcoin"
	symbol    string
	name      string
	typ       string // crypto, stablecoin, fiat, nft
	category  string
	chainID   string
	contract  string
	decimals  int     // digits after the point in quantities
	price     float64 // USD
	change24h float64 // percent
	cmcRank   int
	spam      bool
}

func (a *assetInfo) logo() string {
	return "https://sandbox.kryptos.invalid/assets/" + a.tokenID + ".png"
}

// assets is the catalogue, ordered by market rank; spam tokens last.
var assets = []*assetInfo{
	{id: "a3f1c8e0-9d42-4b17-8c55-6e0b2f7a1d34", tokenID: "bitcoin", symbol: "BTC", name: "Bitcoin", typ: "crypto", category: "layer-1", chainID: "bitcoin", decimals: 8, price: 50000, change24h: 3.5, cmcRank: 1},
	{id: "5b0e7c52-1f4a-4d8e-9a63-0c2d7f1e8b41", tokenID: "ethereum", symbol: "ETH", name: "Ethereum", typ: "crypto", category: "layer-1", chainID: "ethereum", contract: "0x0000000000000000000000000000000000000000", decimals: 18, price: 3200, change24h: -1.25, cmcRank: 2},
	{id: "c7d2a9e4-6b3f-4f1a-8e20-9d5c4b3a2f10", tokenID: "tether", symbol: "USDT", name: "Tether USD", typ: "stablecoin", category: "stablecoin", chainID: "ethereum", contract: "0xdac17f958d2ee523a2206206994597c13d831ec7", decimals: 6, price: 1, cmcRank: 3},
	{id: "e1b4f6a8-3c2d-4e9f-b7a1-2d8c6e4f0a93", tokenID: "solana", symbol: "SOL", name: "Solana", typ: "crypto", category: "layer-1", chainID: "solana", decimals: 9, price: 150, change24h: 5.2, cmcRank: 5},
	{id: "9f3e2d1c-0b4a-4c6d-8e7f-1a2b3c4d5e6f", tokenID: "usd-coin", symbol: "USDC", name: "USD Coin", typ: "stablecoin", category: "stablecoin", chainID: "ethereum", contract: "0xa0b86991c6218b36c1d19d4a2e9eb0ce3606eb48", decimals: 6, price: 1, cmcRank: 7},
	{id: "4a6c8e0f-2b4d-4f6a-8c0e-2f4a6c8e0b1d", tokenID: "chainlink", symbol: "LINK", name: "Chainlink", typ: "crypto", category: "oracle", chainID: "ethereum", contract: "0x514910771af9ca656af840dff83e8264ecf986ca", decimals: 18, price: 15, change24h: 0.8, cmcRank: 15},
	{id: "7b9d1f3a-5c7e-4a9b-8d1f-3a5c7e9b1d2f", tokenID: "uniswap", symbol: "UNI", name: "Uniswap", typ: "crypto", category: "defi", chainID: "ethereum", contract: "0x1f9840a85d5af5bf1d1762f925bdaddc4201f984", decimals: 18, price: 8, change24h: -2.1, cmcRank: 22},
	{id: "d2e4f6a8-b0c2-4d4e-9f6a-8b0c2d4e6f8a", tokenID: "bonk", symbol: "BONK", name: "Bonk", typ: "crypto", category: "meme", chainID: "solana", contract: "DezXAZ8z7PnrnRJjz3wXBoRgixCa6xjnB7YaB1pPB263", decimals: 5, price: 0.00002, change24h: 12.5, cmcRank: 60},
	{id: "0e1f2a3b-4c5d-4e6f-8a9b-0c1d2e3f4a5b", tokenID: "scam-airdrop", symbol: "SCAM", name: "Airdropped Token", typ: "crypto", category: "spam", chainID: "ethereum", contract: "0x5ca3000000000000000000000000000000005ca3", decimals: 18, price: 0.5, spam: true},
}

func assetBySymbol(symbol string) *assetInfo {
	for _, a := range assets {
		if a.symbol == symbol {
			return a
		}
	}
	panic("kryptostest: no asset " + symbol)
}

// providerInfo is one provider of the catalogue: what the widget offers and
// what GET /v1/providers lists.
type providerInfo struct {
	id, name, publicName string
	typ                  string   // exchange, blockchain, wallet, service, aggregator
	importMethods        []string // api, csv, oauth, address, wallet_connect, manual
	featured, working    bool
	// holds are the symbols a connected account of this provider trades.
	holds []string
	// sandbox says whether a client in sandbox mode may connect it.
	sandbox bool
	// chain is the blockchain a wallet address of this provider lives on.
	chain string
}

func (p *providerInfo) logo() string {
	return "https://sandbox.kryptos.invalid/providers/" + p.id + ".png"
}

// providers is the catalogue, in the order the API lists them: featured
// first, then working, then by name.
var providers = []*providerInfo{
	{id: "binance", name: "Binance", publicName: "Binance", typ: "exchange", importMethods: []string{"api", "csv"}, featured: true, working: true, holds: []string{"BTC", "ETH", "USDT", "SOL"}},
	{id: "coinbase", name: "Coinbase", publicName: "Coinbase", typ: "exchange", importMethods: []string{"api", "oauth", "csv"}, featured: true, working: true, holds: []string{"BTC", "ETH", "USDC", "SOL"}},
	{id: "ethereum", name: "Ethereum", publicName: "Ethereum", typ: "blockchain", importMethods: []string{"address", "wallet_connect"}, featured: true, working: true, holds: []string{"ETH", "USDC", "LINK", "UNI"}, sandbox: true, chain: "ethereum"},
	{id: "solana", name: "Solana", publicName: "Solana", typ: "blockchain", importMethods: []string{"address"}, featured: true, working: true, holds: []string{"SOL", "USDC", "BONK"}, sandbox: true, chain: "solana"},
	{id: "bitcoin", name: "Bitcoin", publicName: "Bitcoin", typ: "blockchain", importMethods: []string{"address"}, working: true, holds: []string{"BTC"}, chain: "bitcoin"},
	{id: "kraken", name: "Kraken", publicName: "Kraken", typ: "exchange", importMethods: []string{"api", "csv"}, working: true, holds: []string{"BTC", "ETH", "USDT"}},
	{id: "ledger", name: "Ledger", publicName: "Ledger Live", typ: "wallet", importMethods: []string{"csv"}, working: true, holds: []string{"BTC", "ETH"}},
	{id: "metamask", name: "MetaMask", publicName: "MetaMask", typ: "wallet", importMethods: []string{"address", "wallet_connect"}, working: true, holds: []string{"ETH", "USDC", "UNI"}, chain: "ethereum"},
	{id: "csv", name: "CSV", publicName: "CSV import", typ: "service", importMethods: []string{"csv"}, working: true, holds: []string{"BTC", "ETH", "USDC"}, sandbox: true},
}

func providerByID(id string) *providerInfo {
	id = strings.ToLower(id)
	for _, p := range providers {
		if p.id == id {
			return p
		}
	}
	return nil
}
