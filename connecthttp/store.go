package connecthttp

import (
	"context"
	"errors"
	"sync"
	"time"

	"github.com/kryptos-connect/kryptos-go"
)

// Connection is what an app keeps for each of its users who connected
// Kryptos: the access token reads their data for 15 years, so keep it
// sealed at rest (SQLStore does).
type Connection struct {
	// AccessToken authorizes data calls: client.User(kryptos.AccessToken(c.AccessToken.Reveal())).
	AccessToken kryptos.Secret
	// GrantID names the grant, to revoke it.
	GrantID     string
	WorkspaceID string
	Scopes      kryptos.Scopes
	ConnectedAt time.Time
	// RefreshToken (prefix crt_) is sent only by older API versions, whose
	// access tokens expire after 24 hours. The Handler keeps it but does not
	// spend it: an app on such a version refreshes it at the OIDC token
	// endpoint (package oauth) and Puts the new tokens. Keep it sealed, as
	// the access token.
	RefreshToken kryptos.Secret
	// ExpiresAt is when the access token ends, as the exchange said; zero
	// when it did not say.
	ExpiresAt time.Time
}

// Credential returns the connection's credential, for Client.User.
func (c *Connection) Credential() kryptos.Credential {
	return kryptos.AccessToken(c.AccessToken.Reveal())
}

// ErrNoConnection matches a user who has no stored connection.
var ErrNoConnection = errors.New("connecthttp: no connection is stored for this user")

// ErrUnreadable matches a connection that is stored but cannot be opened:
// sealed under a key the keyring no longer has (ErrUnknownKey), or
// altered. The Handler treats its user as not connected, so that they can
// connect again, which replaces it; /disconnect still revokes its grant.
var ErrUnreadable = errors.New("connecthttp: the stored connection cannot be opened")

// TokenStore keeps each app user's Connection.
type TokenStore interface {
	// Get returns the user's connection, or an error matching
	// ErrNoConnection when there is none. For a connection that is stored
	// but cannot be opened, it returns an error matching ErrUnreadable and,
	// if it can, the Connection without its access token, so that its grant
	// can still be revoked.
	Get(ctx context.Context, userID string) (*Connection, error)
	// Put stores c for the user, replacing any previous one.
	Put(ctx context.Context, userID string, c Connection) error
	// Delete removes the user's connection; deleting none is not an error.
	Delete(ctx context.Context, userID string) error
}

// MemoryStore is a TokenStore in memory, for tests and development. Its
// zero value is an empty store. It is safe for concurrent use.
type MemoryStore struct {
	mu    sync.Mutex
	conns map[string]Connection
}

// NewMemoryStore returns an empty MemoryStore.
func NewMemoryStore() *MemoryStore { return &MemoryStore{conns: map[string]Connection{}} }

// Get implements TokenStore.
func (m *MemoryStore) Get(_ context.Context, userID string) (*Connection, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	c, ok := m.conns[userID]
	if !ok {
		return nil, ErrNoConnection
	}
	return &c, nil
}

// Put implements TokenStore.
func (m *MemoryStore) Put(_ context.Context, userID string, c Connection) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.conns == nil { // the zero MemoryStore is empty and ready, as oauth.MemoryStore is
		m.conns = map[string]Connection{}
	}
	m.conns[userID] = c
	return nil
}

// Delete implements TokenStore.
func (m *MemoryStore) Delete(_ context.Context, userID string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	delete(m.conns, userID)
	return nil
}
