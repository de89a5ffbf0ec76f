package kryptostest

import (
	"net/http"
)

// labelInfo is one transaction label of the catalogue.
type labelInfo struct {
	name string
	// typ is the transaction type; "" for the common labels.
	typ         string
	taxEvent    string // CAPITAL_GAIN, INCOME, LOST, VAULT, or "" (null)
	description string
}

// commonLabels apply to every transaction type; a list filtered by type
// starts with them (DATA-API.md §5.10).
var commonLabels = []labelInfo{
	{name: "Ignore", description: "Leave the transaction out of balances, gains and reports"},
	{name: "Failed", description: "A transaction that failed on chain; only its fee counts"},
	{name: "Unknown", description: "Not categorised yet"},
	{name: "Spam", description: "Unsolicited airdrop of a worthless token"},
}

// typedLabels are the labels of each transaction type, in the order of
// the types. They include every label the sandbox's histories use
// (history.go): Deposit, Staking Reward, Trade, Buy, Sell, Withdrawal,
// Transfer and Payment, besides Spam above.
var typedLabels = []labelInfo{
	{name: "Deposit", typ: "deposit", description: "Funds received from elsewhere"},
	{name: "Staking Reward", typ: "deposit", taxEvent: "INCOME", description: "Reward for staking an asset"},
	{name: "Airdrop", typ: "deposit", taxEvent: "INCOME", description: "Tokens received for free"},
	{name: "Mining", typ: "deposit", taxEvent: "INCOME", description: "Mining or validation income"},
	{name: "Interest", typ: "deposit", taxEvent: "INCOME", description: "Interest earned on a deposit or loan"},
	{name: "Gift Received", typ: "deposit", description: "A gift from someone else"},
	{name: "Withdrawal", typ: "withdrawal", description: "Funds sent elsewhere"},
	{name: "Lost", typ: "withdrawal", taxEvent: "LOST", description: "Funds lost or stolen"},
	{name: "Gift Sent", typ: "withdrawal", taxEvent: "CAPITAL_GAIN", description: "A gift to someone else"},
	{name: "Trade", typ: "trade", taxEvent: "CAPITAL_GAIN", description: "Exchange of one crypto asset for another"},
	{name: "Buy", typ: "trade", taxEvent: "CAPITAL_GAIN", description: "Purchase of an asset"},
	{name: "Sell", typ: "trade", taxEvent: "CAPITAL_GAIN", description: "Sale of an asset for a stablecoin or fiat"},
	{name: "Transfer", typ: "transfer", description: "Move between the user's own accounts"},
	{name: "Vault Deposit", typ: "transfer", taxEvent: "VAULT", description: "Deposit into a vault that keeps ownership"},
	{name: "Payment", typ: "payment", taxEvent: "CAPITAL_GAIN", description: "Payment for goods or services in crypto"},
}

// labelTypes are the values of the type filter.
var labelTypes = []string{"deposit", "withdrawal", "trade", "transfer", "payment"}

// GET /v1/labels: a token but no scope and no workspace; not paginated.
// Filtered by type, the common labels come first.
func (s *Server) listLabels(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	req, ok := s.dataUser(w, r, dataAuth{})
	if !ok {
		return
	}
	typ, e := oneOfParam(req.q, "type", "", labelTypes...)
	if e != nil {
		writeAPIError(w, e)
		return
	}
	list := make([]map[string]any, 0, len(commonLabels)+len(typedLabels))
	for _, l := range commonLabels {
		list = append(list, l.json())
	}
	for _, l := range typedLabels {
		if typ == "" || l.typ == typ {
			list = append(list, l.json())
		}
	}
	writeData(w, http.StatusOK, list)
}

func (l labelInfo) json() map[string]any {
	return map[string]any{"label": l.name, "type": nilIfEmpty(l.typ), "taxEvent": nilIfEmpty(l.taxEvent),
		"description": nilIfEmpty(l.description)}
}
