package connecthttp

import (
	"context"
	"database/sql"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"time"

	"github.com/kryptos-connect/kryptos-go"
)

// SQLStore is a TokenStore over database/sql that keeps each access token
// sealed with AES-256-GCM under a Keyring, bound to its user's row. The SQL
// is portable across SQLite and PostgreSQL (placeholders $1, $2, ...;
// ON CONFLICT upserts): give it a *sql.DB opened with a SQLite driver such
// as modernc.org/sqlite, or a PostgreSQL one such as
// github.com/jackc/pgx/v5/stdlib. It is safe for concurrent use.
type SQLStore struct {
	db    *sql.DB
	keys  *Keyring
	table string
}

// SQLOption adjusts a SQLStore.
type SQLOption func(*SQLStore)

// WithTable names the store's table (default kryptos_connections).
func WithTable(name string) SQLOption { return func(s *SQLStore) { s.table = name } }

var identifier = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]{0,62}$`)

// NewSQLStore returns a store over db, sealing with keys. Call Migrate once
// to create its table.
func NewSQLStore(db *sql.DB, keys *Keyring, opts ...SQLOption) (*SQLStore, error) {
	s := &SQLStore{db: db, keys: keys, table: "kryptos_connections"}
	for _, o := range opts {
		if o != nil {
			o(s)
		}
	}
	switch {
	case db == nil:
		return nil, fmt.Errorf("connecthttp: NewSQLStore: %w", &kryptos.ParamError{Field: "db", Problem: "must not be nil"})
	case keys == nil:
		return nil, fmt.Errorf("connecthttp: NewSQLStore: %w", &kryptos.ParamError{Field: "keys", Problem: "must not be nil: access tokens are stored sealed"})
	case keys.aeads[keys.primary] == nil:
		return nil, fmt.Errorf("connecthttp: NewSQLStore: %w", &kryptos.ParamError{Field: "keys", Problem: "has no key: make it with NewKeyring"})
	case !identifier.MatchString(s.table):
		return nil, fmt.Errorf("connecthttp: NewSQLStore: %w", &kryptos.ParamError{Field: "table", Problem: "must be a plain SQL identifier"})
	}
	return s, nil
}

// Migrate creates the store's table if it does not exist.
func (s *SQLStore) Migrate(ctx context.Context) error {
	_, err := s.db.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS `+s.table+` (
	user_id      TEXT PRIMARY KEY,
	key_id       TEXT NOT NULL,
	sealed_token TEXT NOT NULL,
	grant_id     TEXT NOT NULL,
	workspace_id TEXT NOT NULL,
	scopes       TEXT NOT NULL,
	connected_at BIGINT NOT NULL
)`)
	if err != nil {
		return fmt.Errorf("connecthttp: creating table %s: %w", s.table, err)
	}
	return nil
}

// Get implements TokenStore.
func (s *SQLStore) Get(ctx context.Context, userID string) (*Connection, error) {
	var keyID, sealed, scopes string
	var connectedAt int64
	c := &Connection{}
	err := s.db.QueryRowContext(ctx, `SELECT key_id, sealed_token, grant_id, workspace_id, scopes, connected_at FROM `+s.table+
		` WHERE user_id = $1`, userID).Scan(&keyID, &sealed, &c.GrantID, &c.WorkspaceID, &scopes, &connectedAt)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return nil, ErrNoConnection
	case err != nil:
		return nil, fmt.Errorf("connecthttp: reading the connection: %w", err)
	}
	c.Scopes, _ = kryptos.ParseScopes(scopes)
	c.ConnectedAt = time.UnixMilli(connectedAt).UTC()
	token, err := s.open(userID, keyID, sealed)
	if err != nil {
		return c, err // without its token: the grant can still be revoked
	}
	if len(token) > 0 && token[0] == '{' {
		// The access token with an older API's refresh token and expiry.
		var t sealedTokens
		if err := json.Unmarshal(token, &t); err != nil {
			return c, unreadable{errors.New("connecthttp: the sealed tokens of a row are not JSON")} // not err: it would quote the opened text
		}
		c.AccessToken, c.RefreshToken = kryptos.NewSecret(t.AccessToken), kryptos.NewSecret(t.RefreshToken)
		if t.ExpiresAt != 0 {
			c.ExpiresAt = time.UnixMilli(t.ExpiresAt).UTC()
		}
		return c, nil
	}
	c.AccessToken = kryptos.NewSecret(string(token))
	return c, nil
}

// sealedTokens is what a row seals when there is more than the access
// token (an access token never starts with "{"): an older API's refresh
// token, and when the access token ends. A row with only an access token
// seals it alone, as before.
type sealedTokens struct {
	AccessToken  string `json:"access_token"`
	RefreshToken string `json:"refresh_token,omitempty"`
	ExpiresAt    int64  `json:"expires_at,omitempty"` // Unix milliseconds
}

// plaintext is what Put seals for c.
func plaintext(c Connection) []byte {
	if c.RefreshToken.Reveal() == "" && c.ExpiresAt.IsZero() {
		return []byte(c.AccessToken.Reveal())
	}
	t := sealedTokens{AccessToken: c.AccessToken.Reveal(), RefreshToken: c.RefreshToken.Reveal()}
	if !c.ExpiresAt.IsZero() {
		t.ExpiresAt = c.ExpiresAt.UnixMilli()
	}
	b, _ := json.Marshal(t)
	return b
}

// open opens the sealed token of userID's row.
func (s *SQLStore) open(userID, keyID, sealed string) ([]byte, error) {
	raw, err := base64.StdEncoding.DecodeString(sealed)
	if err != nil {
		return nil, unreadable{fmt.Errorf("connecthttp: the sealed token of a row is not base64: %w", err)}
	}
	return s.keys.open(keyID, raw, []byte(userID))
}

// Put implements TokenStore.
func (s *SQLStore) Put(ctx context.Context, userID string, c Connection) error {
	keyID, sealed := s.keys.seal(plaintext(c), []byte(userID))
	_, err := s.db.ExecContext(ctx, `INSERT INTO `+s.table+` (user_id, key_id, sealed_token, grant_id, workspace_id, scopes, connected_at)
VALUES ($1, $2, $3, $4, $5, $6, $7)
ON CONFLICT (user_id) DO UPDATE SET key_id = excluded.key_id, sealed_token = excluded.sealed_token,
	grant_id = excluded.grant_id, workspace_id = excluded.workspace_id, scopes = excluded.scopes,
	connected_at = excluded.connected_at`,
		userID, keyID, base64.StdEncoding.EncodeToString(sealed), c.GrantID, c.WorkspaceID, c.Scopes.String(), c.ConnectedAt.UnixMilli())
	if err != nil {
		return fmt.Errorf("connecthttp: storing the connection: %w", err)
	}
	return nil
}

// Delete implements TokenStore.
func (s *SQLStore) Delete(ctx context.Context, userID string) error {
	if _, err := s.db.ExecContext(ctx, `DELETE FROM `+s.table+` WHERE user_id = $1`, userID); err != nil {
		return fmt.Errorf("connecthttp: deleting the connection: %w", err)
	}
	return nil
}

// Reseal seals again, under the keyring's primary key, every row sealed
// under another key, and returns how many it changed: after adding a new
// primary key, run it, then drop the old keys from the keyring. Each row is
// replaced only if it did not change meanwhile, so it may run while the app
// serves. Rows that cannot be opened (their key is gone already) are left
// as they are, and reported in an error matching ErrUnreadable after every
// other row is done: their users connect again.
func (s *SQLStore) Reseal(ctx context.Context) (int, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT user_id, key_id, sealed_token FROM `+s.table+` WHERE key_id <> $1`, s.keys.primary)
	if err != nil {
		return 0, fmt.Errorf("connecthttp: listing rows to reseal: %w", err)
	}
	type row struct{ user, keyID, sealed string }
	var old []row
	for rows.Next() {
		var r row
		if err := rows.Scan(&r.user, &r.keyID, &r.sealed); err != nil {
			_ = rows.Close()
			return 0, fmt.Errorf("connecthttp: listing rows to reseal: %w", err)
		}
		old = append(old, r)
	}
	if err := errors.Join(rows.Err(), rows.Close()); err != nil {
		return 0, fmt.Errorf("connecthttp: listing rows to reseal: %w", err)
	}
	changed, stuck := 0, 0
	var firstStuck error
	for _, r := range old {
		token, err := s.open(r.user, r.keyID, r.sealed)
		if err != nil {
			if stuck++; firstStuck == nil {
				firstStuck = err
			}
			continue
		}
		keyID, sealed := s.keys.seal(token, []byte(r.user))
		res, err := s.db.ExecContext(ctx, `UPDATE `+s.table+` SET key_id = $1, sealed_token = $2 WHERE user_id = $3 AND sealed_token = $4`,
			keyID, base64.StdEncoding.EncodeToString(sealed), r.user, r.sealed)
		if err != nil {
			return changed, fmt.Errorf("connecthttp: resealing a row: %w", err)
		}
		if n, err := res.RowsAffected(); err == nil && n == 1 {
			changed++
		}
	}
	if stuck > 0 {
		return changed, fmt.Errorf("connecthttp: %d row(s) cannot be opened and stay as they are; the first: %w", stuck, firstStuck)
	}
	return changed, nil
}
