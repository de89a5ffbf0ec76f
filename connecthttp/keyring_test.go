package connecthttp

import (
	"bytes"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kryptos-connect/kryptos-go"
)

func key(id string, b byte) Key { return Key{ID: id, Secret: bytes.Repeat([]byte{b}, 32)} }

func TestAKeyringSealsBoundToItsRow(t *testing.T) {
	t.Parallel()
	k, err := NewKeyring(key("k1", 1))
	require.NoError(t, err)
	id, sealed := k.seal([]byte("cat_secret"), []byte("user-1"))
	assert.Equal(t, "k1", id)
	assert.NotContains(t, string(sealed), "cat_secret")
	_, again := k.seal([]byte("cat_secret"), []byte("user-1"))
	assert.NotEqual(t, sealed, again, "a fresh nonce each time")

	plain, err := k.open(id, sealed, []byte("user-1"))
	require.NoError(t, err)
	assert.Equal(t, "cat_secret", string(plain))
	_, err = k.open(id, sealed, []byte("user-2"))
	require.Error(t, err, "a sealed token moved to another user's row does not open")
	sealed[len(sealed)-1] ^= 1
	_, err = k.open(id, sealed, []byte("user-1"))
	require.Error(t, err, "an altered one neither")
	_, err = k.open("k9", sealed, []byte("user-1"))
	require.ErrorIs(t, err, ErrUnknownKey)
}

func TestAKeyringOpensWithOldKeysAndSealsWithTheNew(t *testing.T) {
	t.Parallel()
	old, err := NewKeyring(key("2026-01", 1))
	require.NoError(t, err)
	id, sealed := old.seal([]byte("cat_x"), []byte("u"))
	rotated, err := NewKeyring(key("2026-11", 2), key("2026-01", 1))
	require.NoError(t, err)
	plain, err := rotated.open(id, sealed, []byte("u"))
	require.NoError(t, err)
	assert.Equal(t, "cat_x", string(plain))
	newID, _ := rotated.seal(plain, []byte("u"))
	assert.Equal(t, "2026-11", newID)
}

func TestNewKeyringRefusesBadKeys(t *testing.T) {
	t.Parallel()
	for name, keys := range map[string][]Key{
		"short secret":  {{ID: "a", Secret: []byte("short")}},
		"no id":         {{Secret: make([]byte, 32)}},
		"duplicate ids": {key("a", 1), key("a", 2)},
	} {
		_, err := NewKeyring(keys[0], keys[1:]...)
		require.ErrorIs(t, err, kryptos.ErrInvalidParams, name)
	}
}
