package connecthttp

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kryptos-connect/kryptos-go"
)

// noDB is a database that cannot be reached: the tests below fail before
// any statement, or get its error.
type noDB struct{}

func (noDB) Connect(context.Context) (driver.Conn, error) { return nil, errors.New("no database") }
func (noDB) Driver() driver.Driver                        { return nil }

// TestNewSQLStoreRefusesAKeyringNewKeyringDidNotMake: a Keyring's
// zero value (new(Keyring), &Keyring{}) has no key; NewSQLStore takes it,
// and the first Put panics on a nil AEAD instead of NewSQLStore failing.
func TestNewSQLStoreRefusesAKeyringNewKeyringDidNotMake(t *testing.T) {
	t.Parallel()
	db := sql.OpenDB(noDB{})
	defer db.Close()
	s, err := NewSQLStore(db, &Keyring{})
	if err == nil {
		assert.NotPanics(t, func() { _ = s.Put(context.Background(), "u1", Connection{AccessToken: kryptos.NewSecret("cat_x")}) })
	}
	require.ErrorIs(t, err, kryptos.ErrInvalidParams)
}
