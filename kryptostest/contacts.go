package kryptostest

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"math/big"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/kryptos-connect/kryptos-go"
)

// Contacts and counter-parties (DATA-API.md §5.15, §5.16), both under the
// scope contacts:read. Each visible transaction of a user's integrations
// has at most one counter-party, chosen from the transaction the same way
// on every request: an exchange's hot wallet or the user's deposit address
// there, a protocol's contract for swaps and staking, the spam token's
// contract for its airdrops, someone the user paid, or an outside address
// for an exchange account's deposits and withdrawals. Transfers between
// the user's own accounts and trades on an exchange's books have none.
// Some of the people paid are in the user's contacts, which every user
// with an integration has.

// contactInfo is one entry of the address book every user starts with.
type contactInfo struct {
	name, typ                                    string
	email, telegram                              string
	country, state, city, postcode, line1, line2 string
	mobile, vat, paymentTerm                     string
	overduesInterest                             float64
}

// contactBook is the address book; payee k of each chain is contact k
// (payees beyond it are linked to nobody).
var contactBook = []contactInfo{
	{name: "Alice Martin", typ: "individual", email: "alice.martin@example.com", telegram: "@alicem",
		country: "FR", state: "Île-de-France", city: "Paris", postcode: "75011", line1: "12 rue Oberkampf",
		mobile: "+33 6 12 34 56 78", paymentTerm: "due_on_receipt"},
	{name: "Bob Okafor", typ: "individual", email: "bob.okafor@example.com",
		country: "NG", state: "Lagos", city: "Lagos", postcode: "101241", line1: "4 Admiralty Way", line2: "Lekki Phase 1",
		mobile: "+234 802 000 0000", paymentTerm: "net7"},
	{name: "Chen Wei", typ: "individual", telegram: "@chenwei",
		country: "SG", city: "Singapore", postcode: "238859", line1: "9 Scotts Road", mobile: "+65 8123 4567"},
	{name: "Northwind Design Ltd", typ: "company", email: "billing@northwind.example", telegram: "@northwind",
		country: "GB", state: "England", city: "London", postcode: "EC1A 1BB", line1: "1 King Street", line2: "Floor 3",
		mobile: "+44 20 7946 0000", vat: "GB123456789", paymentTerm: "net30", overduesInterest: 1.5},
	{name: "Acme Hosting GmbH", typ: "company", email: "accounts@acme-hosting.example",
		country: "DE", state: "Berlin", city: "Berlin", postcode: "10115", line1: "Invalidenstraße 1",
		mobile: "+49 30 123456", vat: "DE123456789", paymentTerm: "net14", overduesInterest: 2},
}

// payeesPerChain is how many people and companies a user pays on each
// chain; the first len(contactBook) are contacts.
const payeesPerChain = 7

// chainNames are the display names of the sandbox's chains.
var chainNames = map[string]string{"ethereum": "Ethereum", "solana": "Solana", "bitcoin": "Bitcoin"}

// knownAddress is an address everybody's transactions may meet: an
// exchange's hot wallet or a protocol's contract. Kryptos identifies them.
type knownAddress struct {
	chain, address, name string
	role                 string // exchange, swap or staking
	exchange             string // provider id of an exchange's wallet
	protocol             string // platform id of a protocol's contract
}

// knownAddresses are the exchanges' wallets and the protocols' contracts
// of the sandbox's chains.
var knownAddresses = []knownAddress{
	{chain: "ethereum", address: "0x28C6c06298d514Db089934071355E5743bf21d60", name: "Binance 14", role: "exchange", exchange: "binance"},
	{chain: "ethereum", address: "0xA9D1e08C7793af67e9d92fe308d5697FB81d3E43", name: "Coinbase 10", role: "exchange", exchange: "coinbase"},
	{chain: "ethereum", address: "0xDA9dfA130Df4dE4673b89022EE50ff26f6EA73Cf", name: "Kraken 13", role: "exchange", exchange: "kraken"},
	{chain: "ethereum", address: "0x68b3465833fb72A70ecDF485E0e4C7bD8665Fc45", name: "Uniswap V3: Router 2", role: "swap", protocol: "uniswap-v3"},
	{chain: "ethereum", address: "0xae7ab96520DE3A18E5e111B5EaAb095312D7fE84", name: "Lido: stETH", role: "staking", protocol: "lido"},
	{chain: "solana", address: "5tzFkiKscXHK5ZXCGbXZxdw7gTjjD1mBwuoFbhUvuAi9", name: "Binance Hot Wallet", role: "exchange", exchange: "binance"},
	{chain: "solana", address: "H8sMJSCQxfKiFTCfDR3DUMLPwcRbM61LGFJ8N4dK3WjS", name: "Coinbase 1", role: "exchange", exchange: "coinbase"},
	{chain: "solana", address: "JUP6LkbZbjS1jKKwapdHNy74zcZ3tLUZoi5QNyVTaV4", name: "Jupiter Aggregator v6", role: "swap", protocol: "jupiter"},
	{chain: "solana", address: "MarBmsSgKXdrN1egZf5sqe1TMai9K1rChYNDJgjq7aD", name: "Marinade Finance", role: "staking", protocol: "marinade"},
	{chain: "bitcoin", address: "34xp4vRoCGJym3xR7yCVPFHoCNxv4Twseo", name: "Binance Cold Wallet", role: "exchange", exchange: "binance"},
}

// counterparty is an address a user's transactions met.
type counterparty struct {
	chain, address string
	name           string // "" when not identified
	logo           string
	exchange       string // provider id when an exchange's address
	contract       bool
	protocol       string
	identified     bool
	ignored        bool
	contact        int // index in contactBook, or -1
	// Filled from the transactions that met it.
	txCount             int
	firstSeen, lastSeen time.Time
}

func (c *counterparty) normalized() string { return strings.ToLower(c.address) }

func (c *counterparty) id(u *user) string {
	return stableID("cp_", u.workspace.id, c.chain, c.normalized())
}

// counterpartyOf returns the counter-party of one transaction of in, or
// nil when it has none.
func counterpartyOf(u *user, in *integration, tx *txRecord) *counterparty {
	legs := tx.legs()
	if len(legs) == 0 {
		return nil
	}
	asset := legs[0].asset
	chain := in.provider.chain
	onChain := chain != ""
	if !onChain {
		chain = asset.chainID // an exchange account's transfers move on the asset's chain
	}
	if chainNames[chain] == "" {
		return nil
	}
	pick := txPick(tx)
	switch {
	case tx.label == "Spam" && asset.spam:
		return &counterparty{chain: chain, address: asset.contract, contract: true, ignored: true, contact: -1}
	case tx.label == "Spam":
		return derivedCounterparty(u, chain, "airdrop/"+asset.id, true)
	case tx.typ == "transfer":
		return nil // between the user's own accounts
	case tx.typ == "payment":
		k := pick % payeesPerChain
		c := derivedCounterparty(u, chain, "payee/"+strconv.Itoa(k), false)
		if k < len(contactBook) {
			c.contact, c.name, c.identified = k, contactBook[k].name, true
		}
		return c
	case !onChain && (tx.typ == "deposit" && tx.label == "Deposit" || tx.typ == "withdrawal"):
		return derivedCounterparty(u, chain, "external/"+strconv.Itoa(pick%3), false)
	case !onChain:
		return nil // trades and rewards stay on the exchange's books
	case tx.typ == "trade":
		return known(chain, "swap", pick)
	case tx.label == "Staking Reward":
		return known(chain, "staking", pick)
	case tx.typ == "deposit":
		return known(chain, "exchange", pick) // bought on an exchange, withdrawn to the wallet
	case tx.typ == "withdrawal":
		// To the user's deposit address at an exchange with a wallet on
		// this chain.
		ex := known(chain, "exchange", pick)
		if ex == nil {
			return nil
		}
		c := derivedCounterparty(u, chain, "deposit/"+ex.exchange, false)
		p := providerByID(ex.exchange)
		c.exchange, c.identified, c.name, c.logo = ex.exchange, true, p.publicName+" deposit address", p.logo()
		return c
	}
	return nil
}

// known returns the pick-th known address of role on chain, or nil when
// the chain has none.
func known(chain, role string, pick int) *counterparty {
	var fit []knownAddress
	for _, k := range knownAddresses {
		if k.chain == chain && k.role == role {
			fit = append(fit, k)
		}
	}
	if len(fit) == 0 {
		return nil
	}
	k := fit[pick%len(fit)]
	c := &counterparty{chain: chain, address: k.address, name: k.name, exchange: k.exchange, contract: k.protocol != "",
		protocol: k.protocol, identified: true, contact: -1}
	if p := providerByID(k.exchange); p != nil {
		c.logo = p.logo()
	} else {
		c.logo = "https://sandbox.kryptos.invalid/protocols/" + k.protocol + ".png"
	}
	return c
}

// derivedCounterparty is an address of the user's own world (someone they
// pay, an outside wallet, a deposit address of theirs), derived from the
// user so that it is the same on every request.
func derivedCounterparty(u *user, chain, role string, contract bool) *counterparty {
	return &counterparty{chain: chain, address: derivedAddress(chain, u.id+"/"+role), contract: contract, contact: -1}
}

// txPick is a number drawn from the transaction's id: the same
// transaction always meets the same counter-party.
func txPick(tx *txRecord) int {
	h := sha256.Sum256([]byte("counterparty/" + tx.id))
	return int(binary.BigEndian.Uint32(h[:4]) & 0x7fffffff)
}

// derivedAddress makes a well-formed address on chain from seed: 20 hex
// bytes on Ethereum, a Base58 public key on Solana, a Base58Check P2PKH
// address on Bitcoin.
func derivedAddress(chain, seed string) string {
	h := sha256.Sum256([]byte(chain + "/" + seed))
	switch chain {
	case "solana":
		return base58(h[:])
	case "bitcoin":
		payload := append([]byte{0}, h[:20]...)
		sum1 := sha256.Sum256(payload)
		sum2 := sha256.Sum256(sum1[:])
		return base58(append(payload, sum2[:4]...))
	}
	return "0x" + hex.EncodeToString(h[:20])
}

const base58Alphabet = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"

// base58 encodes b as Bitcoin and Solana write addresses (and Solana its
// transaction signatures).
func base58(b []byte) string {
	n := new(big.Int).SetBytes(b)
	radix, mod := big.NewInt(58), new(big.Int)
	var out []byte
	for n.Sign() > 0 {
		n.DivMod(n, radix, mod)
		out = append(out, base58Alphabet[mod.Int64()])
	}
	for _, c := range b {
		if c != 0 {
			break
		}
		out = append(out, '1')
	}
	for i, j := 0, len(out)-1; i < j; i, j = i+1, j-1 {
		out[i], out[j] = out[j], out[i]
	}
	return string(out)
}

// counterparties returns every counter-party of the user's visible
// transactions at now, with its count and first and last sighting, the
// most active first.
func (s *Server) counterparties(u *user, now time.Time) []*counterparty {
	byKey := map[string]*counterparty{}
	for _, in := range u.integrations {
		for _, tx := range in.visible(&s.cfg, now) {
			c := counterpartyOf(u, in, tx)
			if c == nil {
				continue
			}
			key := c.chain + "/" + c.normalized()
			if seen := byKey[key]; seen != nil {
				c = seen
			} else {
				byKey[key] = c
			}
			c.txCount++
			if c.firstSeen.IsZero() || tx.at.Before(c.firstSeen) {
				c.firstSeen = tx.at
			}
			if tx.at.After(c.lastSeen) {
				c.lastSeen = tx.at
			}
		}
	}
	out := make([]*counterparty, 0, len(byKey))
	for _, c := range byKey {
		out = append(out, c)
	}
	sort.Slice(out, func(i, j int) bool {
		a, b := out[i], out[j]
		switch {
		case a.txCount != b.txCount:
			return a.txCount > b.txCount
		case !a.lastSeen.Equal(b.lastSeen):
			return a.lastSeen.After(b.lastSeen)
		}
		return a.chain+a.normalized() < b.chain+b.normalized()
	})
	return out
}

// contacts returns the user's address book: every user with an
// integration has it, by name.
func contacts(u *user) []contactInfo {
	if len(u.integrations) == 0 {
		return nil
	}
	out := append([]contactInfo(nil), contactBook...)
	sort.Slice(out, func(i, j int) bool { return strings.ToLower(out[i].name) < strings.ToLower(out[j].name) })
	return out
}

func contactID(u *user, c contactInfo) string {
	return stableID("ct_", u.workspace.id, strings.ToLower(c.name))
}

// GET /v1/contacts (scope contacts:read): search by name; page-number
// paging, limit 20 by default, clamped to 100; the paging fields in meta,
// as the September changelog has it.
func (s *Server) listContacts(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	req, ok := s.dataUser(w, r, dataAuth{scope: kryptos.ScopeContactsRead})
	if !ok {
		return
	}
	page, limit, e := numberedPage(req.q, 20, 100)
	if e != nil {
		writeAPIError(w, e)
		return
	}
	search := strings.ToLower(req.q.Get("search"))
	var kept []contactInfo
	for _, c := range contacts(req.user) {
		if strings.Contains(strings.ToLower(c.name), search) {
			kept = append(kept, c)
		}
	}
	from, to := window(len(kept), (page-1)*limit, limit)
	list := make([]map[string]any, 0, to-from)
	for _, c := range kept[from:to] {
		list = append(list, contactJSON(req.user, c))
	}
	writeJSON(w, http.StatusOK, map[string]any{"success": true, "data": list,
		"meta": map[string]any{"total": len(kept), "page": page, "limit": limit}})
}

// GET /v1/contacts/{contactId} (scope contacts:read); an unknown id is the
// documented 404 without a code.
func (s *Server) getContact(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	req, ok := s.dataUser(w, r, dataAuth{scope: kryptos.ScopeContactsRead})
	if !ok {
		return
	}
	for _, c := range contacts(req.user) {
		if contactID(req.user, c) == r.PathValue("contactId") {
			writeData(w, http.StatusOK, contactJSON(req.user, c))
			return
		}
	}
	writeNotFound(w, "Contact not found")
}

func contactJSON(u *user, c contactInfo) map[string]any {
	return map[string]any{
		"id": contactID(u, c), "name": c.name, "type": c.typ,
		"socials": map[string]any{"email": nilIfEmpty(c.email), "telegram": nilIfEmpty(c.telegram)},
		"residentialAddress": map[string]any{"country": c.country, "state": nilIfEmpty(c.state), "city": c.city,
			"postcode": c.postcode, "address1": c.line1, "address2": nilIfEmpty(c.line2)},
		// mobileNumber and vat are typed str, not nullable (DATA-API.md §5.15).
		"mobileNumber": c.mobile, "vat": c.vat,
		"terms": map[string]any{"payment": c.paymentTerm, "overduesInterest": c.overduesInterest},
	}
}

// GET /v1/counter-parties (scope contacts:read): resolved and ignored as
// the strings "true" and "false" only (0 and 1 are refused), type exchange
// or protocol, search in the address and the name; page-number paging,
// limit 50 by default, clamped to 200; {success, data, meta {total, page,
// limit}}.
func (s *Server) listCounterParties(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	req, ok := s.dataUser(w, r, dataAuth{scope: kryptos.ScopeContactsRead})
	if !ok {
		return
	}
	page, limit, e := numberedPage(req.q, 50, 200)
	var resolved, ignored, typ string
	if e == nil {
		resolved, e = oneOfParam(req.q, "resolved", "", "true", "false")
	}
	if e == nil {
		ignored, e = oneOfParam(req.q, "ignored", "", "true", "false")
	}
	if e == nil {
		typ, e = oneOfParam(req.q, "type", "", "exchange", "protocol")
	}
	if e != nil {
		writeAPIError(w, e)
		return
	}
	search := strings.ToLower(req.q.Get("search"))
	var kept []*counterparty
	for _, c := range s.counterparties(req.user, req.now) {
		switch {
		case resolved != "" && (resolved == "true") != c.identified,
			ignored != "" && (ignored == "true") != c.ignored,
			typ == "exchange" && c.exchange == "",
			typ == "protocol" && !c.contract,
			search != "" && !strings.Contains(c.normalized(), search) && !strings.Contains(strings.ToLower(c.name), search):
			continue
		}
		kept = append(kept, c)
	}
	from, to := window(len(kept), (page-1)*limit, limit)
	list := make([]map[string]any, 0, to-from)
	for _, c := range kept[from:to] {
		list = append(list, counterpartyJSON(req.user, c))
	}
	writeJSON(w, http.StatusOK, map[string]any{"success": true, "data": list,
		"meta": map[string]any{"total": len(kept), "page": page, "limit": limit}})
}

func counterpartyJSON(u *user, c *counterparty) map[string]any {
	var contactID any
	if c.contact >= 0 {
		contactID = contactIDOf(u, c.contact)
	}
	return map[string]any{
		"id": c.id(u), "address": c.address, "addressNormalized": c.normalized(), "chainName": c.chain,
		"chainPublicName": chainNames[c.chain], "chainLogo": "https://sandbox.kryptos.invalid/chains/" + c.chain + ".png",
		"name": nilIfEmpty(c.name), "logo": nilIfEmpty(c.logo),
		"isExchangeAddress": c.exchange != "", "platformExchangeId": nilIfEmpty(c.exchange),
		"isSmartContract": c.contract, "platformSmartContractId": nilIfEmpty(c.protocol),
		"identified": c.identified, "ignored": c.ignored, "isLinkedToContact": c.contact >= 0, "contactId": contactID,
		"transactionCount": c.txCount, "firstSeenAt": iso(c.firstSeen), "lastSeenAt": iso(c.lastSeen),
		"createdAt": iso(c.firstSeen), "updatedAt": iso(c.lastSeen),
	}
}

func contactIDOf(u *user, k int) string { return contactID(u, contactBook[k]) }
