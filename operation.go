package kryptos

import (
	"net/url"
	"strings"

	"github.com/kryptos-connect/kryptos-go/internal/httpcore"
)

// operation is one API operation: how it is sent, whether a failed attempt
// may be repeated, which quota it counts against, and what authorizes it.
// Every operation is a row of the table below; a method names its row and
// adds its arguments.
type operation struct {
	name   string
	method string
	api    api
	// path is below the API's base URL; each {name} is a path parameter,
	// filled in order and escaped.
	path   string
	policy httpcore.Policy
	class  QuotaClass
	auth   auth
	// scope is the scope a user's grant needs, for data API operations.
	scope Scope
	// noData: a success carries no data (a 204 or an empty body is fine).
	noData bool
	// consumedCode and advice: see httpcore.Call.ConsumedCode, and what to
	// tell a caller whose one-time operation may or may not have happened.
	consumedCode string
	advice       string
	// reported: a success reports the operation's effect, which a repeat
	// after an attempt that may have taken effect no longer shows (see
	// request.repeated).
	reported bool
}

// api says which base URL an operation is below.
type api uint8

const (
	connectAPI api = iota // Endpoints.Connect
	dataAPI               // Endpoints.Data
)

// auth says what authorizes an operation.
type auth uint8

const (
	// byClient: the client's X-Client-Id and X-Client-Secret headers.
	byClient auth = iota
	// byUser: a user's bearer token (Connect access token or OAuth token).
	byUser
	// byUserOrAPIKey: a user's bearer token, or their API key.
	byUserOrAPIKey
	// byNobody: no credential; the operation is public.
	byNobody
)

const (
	idempotent = httpcore.Idempotent
	oneShot    = httpcore.OneShot
)

// The operations, one row each: op(name, method, API, path, retry policy,
// quota class, credential), then what sets it apart. Adding an endpoint
// costs a row here, a typed method that names it, and a handler in the
// sandbox.
var (
	opCreateLinkToken        = op("CreateLinkToken", "POST", connectAPI, "/link-token", idempotent, ClassLinkToken, byClient)
	opExchangePublicToken    = op("ExchangePublicToken", "POST", connectAPI, "/token/exchange", oneShot, ClassExchange, byClient).onceOnly(exchangeAdvice)
	opCheckSession           = op("CheckSession", "POST", connectAPI, "/link-token/check-session", idempotent, ClassConnect, byClient)
	opListGrants             = op("ListGrants", "GET", connectAPI, "/token/grants", idempotent, ClassConnect, byClient)
	opRevokeGrant            = op("RevokeGrant", "POST", connectAPI, "/token/revoke", idempotent, ClassConnect, byClient).withoutData().consumes("GRANT_NOT_FOUND", "an earlier attempt may have revoked the grant already")
	opResyncIntegration      = op("ResyncIntegration", "POST", connectAPI, "/developer/integrations/{walletId}/resync", oneShot, ClassConnect, byClient).onceOnly("a resync may already be queued; check the integration's sync status before queueing another")
	opUpdateTransactionLimit = op("UpdateTransactionLimit", "PATCH", connectAPI, "/developer/grants/{grantId}/transaction-limit", idempotent, ClassConnect, byClient).reports(limitRepeatAdvice)

	// Data API (DATA-API.md §5), with the user's credential.
	opMe             = op("Me", "GET", dataAPI, "/v1/users/me", idempotent, ClassData, byUserOrAPIKey).needs(ScopeUsersRead)
	opListWorkspaces = op("ListWorkspaces", "GET", dataAPI, "/v1/workspaces", idempotent, ClassData, byUser)
	opGetWorkspace   = op("GetWorkspace", "GET", dataAPI, "/v1/workspaces/{wid}", idempotent, ClassData, byUser).needs(ScopeWorkspaceRead)

	opListPortfolios      = op("ListPortfolios", "GET", dataAPI, "/v1/portfolios", idempotent, ClassData, byUser).needs(ScopePortfoliosRead)
	opGetDefaultPortfolio = op("GetDefaultPortfolio", "GET", dataAPI, "/v1/portfolios/default", idempotent, ClassData, byUser).needs(ScopePortfoliosRead)
	opGetPortfolio        = op("GetPortfolio", "GET", dataAPI, "/v1/portfolios/{portfolioId}", idempotent, ClassData, byUser).needs(ScopePortfoliosRead)

	opListHoldings                    = op("ListHoldings", "GET", dataAPI, "/v1/holdings", idempotent, ClassData, byUser).needs(ScopePortfoliosRead)
	opListPortfolioHoldings           = op("ListPortfolioHoldings", "GET", dataAPI, "/v1/holdings/portfolio/{portfolioId}", idempotent, ClassData, byUser).needs(ScopePortfoliosRead)
	opGetHolding                      = op("GetHolding", "GET", dataAPI, "/v1/holdings/{assetId}", idempotent, ClassData, byUser).needs(ScopePortfoliosRead)
	opGetPortfolioHolding             = op("GetPortfolioHolding", "GET", dataAPI, "/v1/holdings/portfolio/{portfolioId}/holdings/{assetId}", idempotent, ClassData, byUser).needs(ScopePortfoliosRead)
	opListCalculatedBalances          = op("ListCalculatedBalances", "GET", dataAPI, "/v1/calculated-balances", idempotent, ClassData, byUser).needs(ScopePortfoliosRead)
	opListPortfolioCalculatedBalances = op("ListPortfolioCalculatedBalances", "GET", dataAPI, "/v1/calculated-balances/portfolio/{portfolioId}", idempotent, ClassData, byUser).needs(ScopePortfoliosRead)

	opListTransactions      = op("ListTransactions", "GET", dataAPI, "/v1/transactions", idempotent, ClassData, byUser).needs(ScopeTransactionsRead)
	opTransactionCounts     = op("TransactionCounts", "GET", dataAPI, "/v1/transactions/counts", idempotent, ClassData, byUser).needs(ScopeTransactionsRead)
	opGetTransaction        = op("GetTransaction", "GET", dataAPI, "/v1/transactions/{transactionId}", idempotent, ClassData, byUser).needs(ScopeTransactionsRead)
	opGetTransactionLedgers = op("GetTransactionLedgers", "GET", dataAPI, "/v1/transactions/{transactionId}/ledgers", idempotent, ClassData, byUser).needs(ScopeTransactionsRead)
	opListLedgers           = op("ListLedgers", "GET", dataAPI, "/v1/ledgers", idempotent, ClassData, byUser).needs(ScopeTransactionsRead)
	opGetLedger             = op("GetLedger", "GET", dataAPI, "/v1/ledgers/{ledgerId}", idempotent, ClassData, byUser).needs(ScopeTransactionsRead)

	opListIntegrations      = op("ListIntegrations", "GET", dataAPI, "/v1/integrations", idempotent, ClassData, byUser).needs(ScopeIntegrationsRead)
	opGetIntegration        = op("GetIntegration", "GET", dataAPI, "/v1/integrations/{integrationId}", idempotent, ClassData, byUser).needs(ScopeIntegrationsRead)
	opSearchIntegrations    = op("SearchIntegrations", "GET", dataAPI, "/v1/integrations/search", idempotent, ClassData, byUser).needs(ScopeIntegrationsRead)
	opIntegrationSyncStatus = op("IntegrationSyncStatus", "GET", dataAPI, "/v1/integrations/sync-status", idempotent, ClassData, byUser).needs(ScopeIntegrationsRead)
	opListIntegrationAssets = op("ListIntegrationAssets", "GET", dataAPI, "/v1/integrations/{integrationId}/assets", idempotent, ClassData, byUser).needs(ScopeIntegrationsRead)
	opResyncUserIntegration = op("ResyncUserIntegration", "POST", dataAPI, "/v1/integrations/{integrationId}/resync", oneShot, ClassData, byUser).needs(ScopeIntegrationsWrite).onceOnly("a sync may already be queued; check the integration's latest sync before starting another")
	opGetSyncJob            = op("GetSyncJob", "GET", dataAPI, "/v1/sync/{syncId}", idempotent, ClassData, byUser).needs(ScopeIntegrationsRead)
	opListSyncJobs          = op("ListSyncJobs", "GET", dataAPI, "/v1/sync", idempotent, ClassData, byUser).needs(ScopeIntegrationsRead)

	opListDeFi                 = op("ListDeFi", "GET", dataAPI, "/v1/defi", idempotent, ClassData, byUser).needs(ScopePortfoliosRead)
	opListDeFiStaking          = op("ListDeFiStaking", "GET", dataAPI, "/v1/defi/staking", idempotent, ClassData, byUser).needs(ScopePortfoliosRead)
	opListDeFiLending          = op("ListDeFiLending", "GET", dataAPI, "/v1/defi/lending", idempotent, ClassData, byUser).needs(ScopePortfoliosRead)
	opListDeFiFarming          = op("ListDeFiFarming", "GET", dataAPI, "/v1/defi/farming", idempotent, ClassData, byUser).needs(ScopePortfoliosRead)
	opDeFiTotals               = op("DeFiTotals", "GET", dataAPI, "/v1/defi/totals", idempotent, ClassData, byUser).needs(ScopePortfoliosRead)
	opDeFiNetworks             = op("DeFiNetworks", "GET", dataAPI, "/v1/defi/networks", idempotent, ClassData, byUser).needs(ScopePortfoliosRead)
	opListPortfolioDeFi        = op("ListPortfolioDeFi", "GET", dataAPI, "/v1/defi/portfolio/{portfolioId}", idempotent, ClassData, byUser).needs(ScopePortfoliosRead)
	opListPortfolioDeFiStaking = op("ListPortfolioDeFiStaking", "GET", dataAPI, "/v1/defi/portfolio/{portfolioId}/staking", idempotent, ClassData, byUser).needs(ScopePortfoliosRead)
	opListPortfolioDeFiLending = op("ListPortfolioDeFiLending", "GET", dataAPI, "/v1/defi/portfolio/{portfolioId}/lending", idempotent, ClassData, byUser).needs(ScopePortfoliosRead)
	opListPortfolioDeFiFarming = op("ListPortfolioDeFiFarming", "GET", dataAPI, "/v1/defi/portfolio/{portfolioId}/farming", idempotent, ClassData, byUser).needs(ScopePortfoliosRead)
	opPortfolioDeFiTotals      = op("PortfolioDeFiTotals", "GET", dataAPI, "/v1/defi/portfolio/{portfolioId}/totals", idempotent, ClassData, byUser).needs(ScopePortfoliosRead)
	opListDeFiMetadata         = op("ListDeFiMetadata", "GET", dataAPI, "/v1/defi-metadata", idempotent, ClassData, byUser)
	opGetDeFiMetadata          = op("GetDeFiMetadata", "GET", dataAPI, "/v1/defi-metadata/{protocolId}", idempotent, ClassData, byUser)

	opListNFTs           = op("ListNFTs", "GET", dataAPI, "/v1/nfts", idempotent, ClassData, byUser).needs(ScopePortfoliosRead)
	opListNFTCollections = op("ListNFTCollections", "GET", dataAPI, "/v1/nfts/collections", idempotent, ClassData, byUser).needs(ScopePortfoliosRead)
	opGetNFT             = op("GetNFT", "GET", dataAPI, "/v1/nfts/{contractAddress}/{tokenId}", idempotent, ClassData, byUser).needs(ScopePortfoliosRead)
	opListPortfolioNFTs  = op("ListPortfolioNFTs", "GET", dataAPI, "/v1/nfts/portfolio/{portfolioId}", idempotent, ClassData, byUser).needs(ScopePortfoliosRead)
	opGetPortfolioNFT    = op("GetPortfolioNFT", "GET", dataAPI, "/v1/nfts/portfolio/{portfolioId}/{contractAddress}/{tokenId}", idempotent, ClassData, byUser).needs(ScopePortfoliosRead)

	opListSpam           = op("ListSpam", "GET", dataAPI, "/v1/spam", idempotent, ClassData, byUser).needs(ScopeTransactionsRead)
	opListLabels         = op("ListLabels", "GET", dataAPI, "/v1/labels", idempotent, ClassData, byUser)
	opSearchAssets       = op("SearchAssets", "GET", dataAPI, "/v1/assets/search", idempotent, ClassData, byUser)
	opListProviders      = op("ListProviders", "GET", dataAPI, "/v1/providers", idempotent, ClassData, byNobody)
	opGetProvider        = op("GetProvider", "GET", dataAPI, "/v1/providers/{providerId}", idempotent, ClassData, byNobody)
	opListContacts       = op("ListContacts", "GET", dataAPI, "/v1/contacts", idempotent, ClassData, byUser).needs(ScopeContactsRead)
	opGetContact         = op("GetContact", "GET", dataAPI, "/v1/contacts/{contactId}", idempotent, ClassData, byUser).needs(ScopeContactsRead)
	opListCounterParties = op("ListCounterParties", "GET", dataAPI, "/v1/counter-parties", idempotent, ClassData, byUser).needs(ScopeContactsRead)
)

// operations lists every row of the table, for the tests that check it
// whole. It is filled at package initialisation and never changed after.
var operations []*operation

func op(name, method string, a api, path string, p httpcore.Policy, class QuotaClass, by auth) *operation {
	o := &operation{name: name, method: method, api: a, path: path, policy: p, class: class, auth: by}
	operations = append(operations, o)
	return o
}

func (o *operation) withoutData() *operation { o.noData = true; return o }

func (o *operation) onceOnly(advice string) *operation { o.advice = advice; return o }

func (o *operation) needs(s Scope) *operation { o.scope = s; return o }

func (o *operation) reports(advice string) *operation { o.reported, o.advice = true, advice; return o }

func (o *operation) consumes(code, advice string) *operation {
	o.consumedCode, o.advice = code, advice
	return o
}

// url returns the operation's URL below base, with params filled into its
// path in order, escaped, and query encoded.
func (o *operation) url(base string, params []string, query url.Values) string {
	var b strings.Builder
	b.Grow(len(base) + len(o.path) + 32)
	b.WriteString(base)
	rest := o.path
	for _, p := range params {
		i := strings.IndexByte(rest, '{')
		j := strings.IndexByte(rest, '}')
		if i < 0 || j < i {
			panic("kryptos: operation " + o.name + " has fewer path parameters than given")
		}
		b.WriteString(rest[:i])
		b.WriteString(url.PathEscape(p))
		rest = rest[j+1:]
	}
	if strings.IndexByte(rest, '{') >= 0 {
		panic("kryptos: operation " + o.name + " is missing a path parameter")
	}
	b.WriteString(rest)
	if len(query) > 0 {
		b.WriteByte('?')
		b.WriteString(query.Encode())
	}
	return b.String()
}
