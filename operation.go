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
	opUpdateTransactionLimit = op("UpdateTransactionLimit", "PATCH", connectAPI, "/developer/grants/{grantId}/transaction-limit", idempotent, ClassConnect, byClient)

	opListIntegrations = op("ListIntegrations", "GET", dataAPI, "/v1/integrations", idempotent, ClassData, byUser).needs(ScopeIntegrationsRead)
	opGetSyncJob       = op("GetSyncJob", "GET", dataAPI, "/v1/sync/{syncId}", idempotent, ClassData, byUser).needs(ScopeIntegrationsRead)
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
