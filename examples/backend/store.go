package main

import (
	"context"
	"sync"
)

// Connection is what the backend keeps for each of its users who connected
// Kryptos. Keep it encrypted at rest in a real store: the access token reads
// the user's portfolio for 15 years.
type Connection struct {
	AccessToken string
	GrantID     string
	WorkspaceID string
}

// TokenStore keeps each app user's Connection. Back it with your database.
type TokenStore interface {
	// Get returns the user's connection; ok is false when there is none.
	Get(ctx context.Context, userID string) (c Connection, ok bool, err error)
	Put(ctx context.Context, userID string, c Connection) error
	Delete(ctx context.Context, userID string) error
}

// MemoryStore is a TokenStore in memory, for development and tests.
type MemoryStore struct {
	mu    sync.Mutex
	conns map[string]Connection
}

// NewMemoryStore returns an empty MemoryStore.
func NewMemoryStore() *MemoryStore { return &MemoryStore{conns: map[string]Connection{}} }

// Get implements TokenStore.
func (m *MemoryStore) Get(_ context.Context, userID string) (Connection, bool, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	c, ok := m.conns[userID]
	return c, ok, nil
}

// Put implements TokenStore.
func (m *MemoryStore) Put(_ context.Context, userID string, c Connection) error {
	m.mu.Lock()
	defer m.mu.Unlock()
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
