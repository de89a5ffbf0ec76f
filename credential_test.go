package kryptos

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/oauth2"
)

func TestEachCredentialSendsItsOwnHeaderAndNoClientSecret(t *testing.T) {
	t.Parallel()
	const jwt = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ1In0.c2lnbmF0dXJl"
	cases := []struct {
		name string
		cred Credential
		auth string
	}{
		{"a Connect access token", AccessToken(testAccessToken), "Bearer " + testAccessToken},
		{"an OAuth access token", AccessToken(jwt), "Bearer " + jwt},
		{"an OAuth token source", TokenSource(oauth2.StaticTokenSource(&oauth2.Token{AccessToken: jwt})), "Bearer " + jwt},
		{"a grant's credential", (&AccessGrant{AccessToken: NewSecret(testAccessToken)}).Credential(), "Bearer " + testAccessToken},
	}
	for _, tc := range cases {
		api := newMockAPI(t)
		api.mock.RegisterResponder(http.MethodGet, DefaultDataURL+"/v1/integrations", reply(200, `{"success":true,"data":{"integrations":[],"pagination":{"page":1,"limit":50,"total":0,"totalPages":0,"hasMore":false}}}`))
		_, err := api.client.User(tc.cred).ListIntegrationsPage(context.Background(), IntegrationsParams{})
		require.NoError(t, err, tc.name)
		h := api.rec.last(t).Header
		assert.Equal(t, tc.auth, h.Get("Authorization"), tc.name)
		assert.Empty(t, h.Get("X-Api-Key"), tc.name)
		assert.Empty(t, h.Get("X-Client-Secret"), "%s: the client secret never goes to the data API", tc.name)
		assert.Empty(t, h.Get("X-Client-Id"), tc.name)
	}
}

// TestAnAPIKeyGoesOnlyWhereTheDocsAllowIt: x-api-key, never with
// Authorization, and only on operations that take one (/v1/users/*).
func TestAnAPIKeyGoesOnlyWhereTheDocsAllowIt(t *testing.T) {
	t.Parallel()
	api := newMockAPI(t)
	_, err := api.client.User(APIKey("kryptos_live_abc")).ListIntegrationsPage(context.Background(), IntegrationsParams{})
	var pe *ParamError
	require.ErrorAs(t, err, &pe)
	assert.Contains(t, pe.Problem, "an API key reaches only /v1/users/*")
	assert.Equal(t, 0, api.rec.count())

	// An operation that accepts keys, as GET /v1/users/me does.
	me := &operation{name: "Me", method: http.MethodGet, api: dataAPI, path: "/v1/users/me", class: ClassData, auth: byUserOrAPIKey}
	api.mock.RegisterResponder(http.MethodGet, DefaultDataURL+"/v1/users/me", reply(200, `{"success":true,"data":{}}`))
	require.NoError(t, api.client.do(context.Background(), me, request{cred: APIKey("kryptos_live_abc")}, nil, nil))
	h := api.rec.last(t).Header
	assert.Equal(t, "kryptos_live_abc", h.Get("X-Api-Key"))
	assert.Empty(t, h.Get("Authorization"))
}

func TestABadCredentialFailsBeforeSending(t *testing.T) {
	t.Parallel()
	failing := TokenSource(tokenSourceFunc(func() (*oauth2.Token, error) { return nil, errors.New("refresh token revoked") }))
	cases := map[string]Credential{
		"nil":                    nil,
		"empty":                  AccessToken(""),
		"CR/LF":                  AccessToken("cat_x\r\nX-Evil: 1"),
		"a nil token source":     TokenSource(nil),
		"a failing token source": failing,
		"an empty OAuth token":   TokenSource(oauth2.StaticTokenSource(&oauth2.Token{})),
		"an API key with a tab":  APIKey("kryptos\tlive"),
	}
	for name, cred := range cases {
		api := newMockAPI(t)
		_, err := api.client.User(cred).ListIntegrationsPage(context.Background(), IntegrationsParams{})
		require.Error(t, err, name)
		assert.NotErrorIs(t, err, ErrOutcomeUnknown, name)
		assert.Equal(t, 0, api.rec.count(), "%s: nothing may be sent", name)
	}
	api := newMockAPI(t)
	_, err := api.client.User(failing).ListIntegrationsPage(context.Background(), IntegrationsParams{})
	assert.ErrorContains(t, err, "getting the OAuth token: refresh token revoked")

	// NewUserClient refuses at once what no call could send.
	for _, name := range []string{"nil", "empty", "CR/LF", "a nil token source", "an API key with a tab"} {
		u, err := NewUserClient(cases[name])
		assert.Nil(t, u, name)
		require.ErrorIs(t, err, ErrInvalidParams, name)
	}
	_, err = NewUserClient(failing)
	require.NoError(t, err, "a token source is asked for its token at the first call")
}

func TestCredentialsPrintOnlyTheirKind(t *testing.T) {
	t.Parallel()
	creds := map[Credential]string{
		AccessToken(testAccessToken):  "kryptos.AccessToken(cat_[redacted])",
		APIKey("kryptos_live_SECRET"): "kryptos.APIKey(kryptos_[redacted])",
		TokenSource(oauth2.StaticTokenSource(&oauth2.Token{AccessToken: "SECRET"})): "kryptos.TokenSource(…)",
	}
	for cred, want := range creds {
		var logs bytes.Buffer
		slog.New(slog.NewJSONHandler(&logs, nil)).Info("x", "cred", cred, "nested", struct{ C Credential }{cred})
		for _, out := range []string{fmt.Sprint(cred), fmt.Sprintf("%+v", cred), fmt.Sprintf("%#v", cred), logs.String(), fmt.Sprint(&UserClient{cred: cred})} {
			assert.NotContains(t, out, "never_printed")
			assert.NotContains(t, out, "SECRET")
		}
		assert.Equal(t, want, fmt.Sprint(cred))
	}
}

type tokenSourceFunc func() (*oauth2.Token, error)

func (f tokenSourceFunc) Token() (*oauth2.Token, error) { return f() }

// refusableSource hands out the tokens in order, moving to the next one
// when told the current one was refused.
type refusableSource struct {
	mu      sync.Mutex
	tokens  []string
	refused []string
}

func (s *refusableSource) Token() (*oauth2.Token, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return &oauth2.Token{AccessToken: s.tokens[len(s.refused)%len(s.tokens)]}, nil
}

func (s *refusableSource) TokenRefused(accessToken string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.refused = append(s.refused, accessToken)
}

// TestARefusedTokenIsRefreshedAndTheCallSentOnceMore: a 401 on a token
// from a source that can be told so (oauth.TokenSource) is "refresh, then
// retry once" (OAUTH.md); any other credential's 401 is returned at once,
// and so is a second 401.
func TestARefusedTokenIsRefreshedAndTheCallSentOnceMore(t *testing.T) {
	t.Parallel()
	const path = DefaultDataURL + "/v1/users/me"
	unauthorized := fail(401, "unauthorized", "the access token is expired or invalid")
	me := reply(200, `{"success":true,"data":{"uid":"u1","email":"a@example.com"}}`)
	authOf := func(api *mockAPI) (auth []string) {
		for _, r := range api.rec.all() {
			auth = append(auth, r.Header.Get("Authorization"))
		}
		return auth
	}

	api := newMockAPI(t)
	api.mock.RegisterResponder(http.MethodGet, path, unauthorized.Then(me))
	src := &refusableSource{tokens: []string{"jwt.old", "jwt.new"}}
	_, err := api.client.User(TokenSource(src)).Me(context.Background())
	require.NoError(t, err)
	assert.Equal(t, []string{"Bearer jwt.old", "Bearer jwt.new"}, authOf(api))
	assert.Equal(t, []string{"jwt.old"}, src.refused)

	api = newMockAPI(t)
	api.mock.RegisterResponder(http.MethodGet, path, unauthorized)
	src = &refusableSource{tokens: []string{"jwt.old", "jwt.new", "jwt.newer"}}
	_, err = api.client.User(TokenSource(src)).Me(context.Background())
	require.ErrorIs(t, err, ErrUnauthorized)
	assert.Equal(t, []string{"Bearer jwt.old", "Bearer jwt.new"}, authOf(api), "once more, not again and again")

	for name, cred := range map[string]Credential{
		"a static token source": TokenSource(oauth2.StaticTokenSource(&oauth2.Token{AccessToken: "jwt.only"})),
		"an access token":       AccessToken(testAccessToken),
	} {
		api = newMockAPI(t)
		api.mock.RegisterResponder(http.MethodGet, path, unauthorized.Then(me))
		_, err = api.client.User(cred).Me(context.Background())
		require.ErrorIs(t, err, ErrUnauthorized, name)
		assert.Equal(t, 1, api.rec.count(), "%s: the same token would be refused again", name)
	}
}
