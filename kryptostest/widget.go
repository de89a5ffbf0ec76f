package kryptostest

import (
	"net/http"
	"strings"

	"github.com/kryptos-connect/kryptos-go"
)

// LinkUser is what a user does in the widget: sign in or continue as a
// guest, connect integrations, and consent (or not).
type LinkUser struct {
	// Guest continues anonymously: a new Guest user, to whom transaction
	// limits apply. Otherwise the user signs in as a Linked user by Email.
	Guest bool `json:"guest,omitempty"`
	// Email of a Linked user; the same email is the same user across links.
	Email string `json:"email,omitempty"`
	// Wallets to connect.
	Wallets []Wallet `json:"wallets,omitempty"`
	// Deny declines consent: the link fails with ACCESS_DENIED.
	Deny bool `json:"deny,omitempty"`
}

// Wallet is an integration to connect in the widget.
type Wallet struct {
	// Provider is "ethereum" or "solana" for a wallet, an exchange such as
	// "binance", or "csv" for a file import. In sandbox mode the only chains
	// are ethereum and solana, with their test addresses, and no exchange;
	// CSV imports, which reach no provider, are allowed.
	Provider string `json:"provider"`
	// Address is the wallet's public address, the exchange account or the
	// file name.
	Address string `json:"address"`
	Alias   string `json:"alias,omitempty"`
	// SyncDisabled makes every resync of it fail with SYNC_DISABLED.
	SyncDisabled bool `json:"sync_disabled,omitempty"`
	// SourceMissing, for a CSV, makes its resync fail with
	// CSV_SOURCE_MISSING, as when the uploaded file is gone.
	SourceMissing bool `json:"source_missing,omitempty"`
	// FailSync makes every sync of it end failed, as when the provider is
	// down.
	FailSync bool `json:"fail_sync,omitempty"`
}

// CompleteLink does, for the given link token, what the user does in the
// widget, as if they had verified their email, and returns the public token
// the widget hands to the frontend. For a link token created with a valid
// access token (a returning user), the integrations are added to that user
// and the public token is empty: the widget's onSuccess gets null.
//
// Errors are *kryptos.Error values with the API's codes: INVALID_TOKEN,
// TOKEN_EXPIRED, TOKEN_ALREADY_USED (a link token is used once),
// ACCESS_DENIED (Deny), VALIDATION_ERROR, and in sandbox mode
// SANDBOX_PROVIDER_NOT_ALLOWED and SANDBOX_ADDRESS_NOT_ALLOWED.
func (s *Server) CompleteLink(linkToken kryptos.Secret, u LinkUser) (publicToken string, err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	lt, e := s.openLink(linkToken.Reveal())
	if e == nil {
		publicToken, e = s.completeLink(lt, u)
	}
	if e != nil {
		return "", e.toKryptos()
	}
	return publicToken, nil
}

// openLink returns a link token that may still be completed. The caller
// holds s.mu.
func (s *Server) openLink(token string) (*linkToken, *apiError) {
	lt := s.state.linkTokens[token]
	switch {
	case lt == nil:
		return nil, errorf(http.StatusBadRequest, "INVALID_TOKEN", "Token expired or invalid")
	case lt.used:
		return nil, errorf(http.StatusBadRequest, "TOKEN_ALREADY_USED", "Token was already consumed")
	case !s.cfg.clock.Now().Before(lt.expiresAt):
		return nil, errorf(http.StatusBadRequest, "TOKEN_EXPIRED", "Link or public token expired")
	}
	return lt, nil
}

// completeLink finishes a link. The caller holds s.mu.
func (s *Server) completeLink(lt *linkToken, lu LinkUser) (string, *apiError) {
	if lu.Deny {
		return "", errorf(http.StatusForbidden, "ACCESS_DENIED", "The user declined to grant access")
	}
	if !lu.Guest && lt.userID == "" && !strings.Contains(lu.Email, "@") {
		return "", errorf(http.StatusBadRequest, "VALIDATION_ERROR", "a Linked user needs an email; set Guest to continue anonymously")
	}
	for _, wl := range lu.Wallets {
		if e := s.checkWallet(wl); e != nil {
			return "", e
		}
	}
	now := s.cfg.clock.Now()
	lt.used = true
	var u *user
	switch {
	case lt.userID != "":
		u = s.state.users[lt.userID]
	case lu.Guest:
		u = s.newUser("anon_"+randomHex(8), true, "")
	default:
		email := strings.ToLower(lu.Email)
		if u = s.state.usersByEmail[email]; u == nil {
			u = s.newUser("uuid-user-"+randomHex(8), false, email)
		}
	}
	token := "" // a returning user (lt.userID set) gets none: nothing to exchange
	if lt.userID == "" {
		token = "public_" + randomHex(16)
	}
	for _, wl := range lu.Wallets {
		in := s.connect(u, wl)
		s.announceConnected(in, token)
	}
	if token == "" {
		return "", nil
	}
	s.state.publicTokens[token] = &publicToken{clientID: lt.clientID, userID: u.id, scopes: lt.scopes, expiresAt: now.Add(PublicTokenTTL)}
	return token, nil
}

// checkWallet applies the sandbox-mode rules to an integration.
func (s *Server) checkWallet(wl Wallet) *apiError {
	if wl.Provider == "" || wl.Address == "" {
		return errorf(http.StatusBadRequest, "VALIDATION_ERROR", "a wallet needs a provider and an address")
	}
	p := providerByID(wl.Provider)
	if p == nil {
		return errorf(http.StatusBadRequest, "VALIDATION_ERROR", "unknown provider %q; see GET /v1/providers", wl.Provider)
	}
	if !s.cfg.sandboxMode {
		return nil
	}
	switch p.id {
	case "csv":
	case "ethereum":
		if !strings.EqualFold(wl.Address, EthereumTestAddress) {
			return errorf(http.StatusBadRequest, "SANDBOX_ADDRESS_NOT_ALLOWED", "sandbox mode allows only the Ethereum test address %s", EthereumTestAddress)
		}
	case "solana":
		if wl.Address != SolanaTestAddress {
			return errorf(http.StatusBadRequest, "SANDBOX_ADDRESS_NOT_ALLOWED", "sandbox mode allows only the Solana test address %s", SolanaTestAddress)
		}
	default:
		return errorf(http.StatusBadRequest, "SANDBOX_PROVIDER_NOT_ALLOWED", "sandbox mode allows only Ethereum and Solana, not %q", wl.Provider)
	}
	return nil
}

// The widget's own endpoints, for callers that are not Go. They take the
// link token in the X-LINK-TOKEN header, as the real widget does.

// POST /widget/otp/request {email}: sends the sign-in code (always
// SandboxOTP).
func (s *Server) widgetRequestOTP(w http.ResponseWriter, r *http.Request) {
	var req struct {
		Email string `json:"email"`
	}
	s.widgetStep(w, r, &req, func(lt *linkToken) (any, *apiError) {
		if !strings.Contains(req.Email, "@") {
			return nil, errorf(http.StatusBadRequest, "VALIDATION_ERROR", "email is required")
		}
		lt.otpEmail, lt.verifiedEmail = strings.ToLower(req.Email), ""
		return map[string]any{"sent": true}, nil
	})
}

// POST /widget/otp/verify {email, otp}
func (s *Server) widgetVerifyOTP(w http.ResponseWriter, r *http.Request) {
	var req struct {
		Email string `json:"email"`
		OTP   string `json:"otp"`
	}
	s.widgetStep(w, r, &req, func(lt *linkToken) (any, *apiError) {
		switch {
		case lt.otpEmail == "":
			return nil, errorf(http.StatusBadRequest, "OTP_NOT_REQUESTED", "Request a code before verifying it")
		case !strings.EqualFold(req.Email, lt.otpEmail):
			return nil, errorf(http.StatusBadRequest, "EMAIL_MISMATCH", "The code was sent to another email")
		case req.OTP != SandboxOTP:
			return nil, errorf(http.StatusBadRequest, "INVALID_OTP", "The code is not valid")
		}
		lt.verifiedEmail = lt.otpEmail
		return map[string]any{"verified": true}, nil
	})
}

// POST /widget/complete {guest, wallets, deny}: a Linked user must have
// verified their email first. Answers {public_token} (null for a returning
// user).
func (s *Server) widgetComplete(w http.ResponseWriter, r *http.Request) {
	var req LinkUser
	s.widgetStep(w, r, &req, func(lt *linkToken) (any, *apiError) {
		if !req.Guest && lt.userID == "" {
			if lt.verifiedEmail == "" {
				return nil, errorf(http.StatusBadRequest, "OTP_NOT_REQUESTED", "Sign in with an email code, or continue as a guest")
			}
			req.Email = lt.verifiedEmail
		}
		token, e := s.completeLink(lt, req)
		if e != nil {
			return nil, e
		}
		var public any
		if token != "" {
			public = token
		}
		return map[string]any{"public_token": public}, nil
	})
}

// widgetStep decodes a widget request, resolves its link token and runs
// step under s.mu.
func (s *Server) widgetStep(w http.ResponseWriter, r *http.Request, body any, step func(*linkToken) (any, *apiError)) {
	if e := decodeBody(r, body); e != nil {
		writeAPIError(w, e)
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	lt, e := s.openLink(r.Header.Get("X-LINK-TOKEN"))
	if e != nil {
		writeAPIError(w, e)
		return
	}
	data, e := step(lt)
	if e != nil {
		writeAPIError(w, e)
		return
	}
	writeData(w, http.StatusOK, data)
}
