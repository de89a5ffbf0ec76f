package kryptos

import (
	"encoding/json"
	"time"
)

// The small objects that several data API answers share (DATA-API.md
// §1.4, §5).

// Price is a valuation: the price of one unit in BaseCurrency, when it was
// taken and from where. Transaction legs, ledgers, DeFi positions and NFTs
// carry it.
type Price struct {
	Price        float64 `json:"price"`
	BaseCurrency string  `json:"baseCurrency"`
	// Timestamp is sent as Unix milliseconds.
	Timestamp time.Time `json:"timestamp"`
	Source    string    `json:"source"`
}

// UnmarshalJSON reads Timestamp from Unix milliseconds or an RFC 3339
// string.
func (p *Price) UnmarshalJSON(b []byte) error {
	type plain Price
	var w struct {
		*plain
		Timestamp Timestamp `json:"timestamp"`
	}
	w.plain = (*plain)(p)
	if err := json.Unmarshal(b, &w); err != nil {
		return err
	}
	p.Timestamp = w.Timestamp.Time
	return nil
}

// Account is a connected account as other objects name it: the owner of a
// holding's share, of a DeFi position or of an NFT, and the sides of a
// transaction leg (which send provider and walletId only).
type Account struct {
	Provider           string `json:"provider"`
	ProviderPublicName string `json:"providerPublicName"`
	// WalletID is the integration's id (Integration.ID).
	WalletID      string `json:"walletId"`
	PublicAddress string `json:"publicAddress"`
	LogoURL       string `json:"logoUrl"`
	Alias         string `json:"alias"`
}
