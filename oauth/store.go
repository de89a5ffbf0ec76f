package oauth

import (
	"context"
	"sync"

	"golang.org/x/oauth2"
)

// MemoryStore is a TokenStore in memory, for tests and for programs whose
// tokens may be lost when they exit. It is safe for concurrent use.
type MemoryStore struct {
	mu  sync.Mutex
	tok *oauth2.Token
}

// NewMemoryStore returns a MemoryStore holding tok, which may be nil.
func NewMemoryStore(tok *oauth2.Token) *MemoryStore { return &MemoryStore{tok: tok} }

// Load returns a copy of the token held, or nil.
func (m *MemoryStore) Load(context.Context) (*oauth2.Token, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.tok == nil {
		return nil, nil
	}
	return copyToken(m.tok), nil
}

// Save keeps a copy of tok.
func (m *MemoryStore) Save(_ context.Context, tok *oauth2.Token) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.tok = copyToken(tok)
	return nil
}
