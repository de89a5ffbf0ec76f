package connecthttp

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"

	"github.com/kryptos-connect/kryptos-go"
)

// Key is an AES-256 key that seals access tokens at rest.
type Key struct {
	// ID names the key in each sealed row, so that rows sealed under an
	// older key can still be opened after a rotation. Short and stable, such
	// as "2026-11".
	ID string
	// Secret is 32 random bytes. Keep it out of the database: in a secrets
	// manager or the environment.
	Secret []byte
}

// Format prints the key as its ID, for every verb: its Secret opens every
// access token sealed under it, so no formatting of a Key may reveal it.
func (k Key) Format(f fmt.State, _ rune) {
	fmt.Fprintf(f, "connecthttp.Key{ID:%q, Secret:[redacted]}", k.ID)
}

// LogValue logs the key as its ID, never its Secret.
func (k Key) LogValue() slog.Value { return slog.GroupValue(slog.String("id", k.ID)) }

// MarshalJSON encodes the key's ID and a redacted Secret, as kryptos.Secret
// does, so that no JSON log or report carries the key. Keep the key itself
// in a secrets manager, not in JSON the app writes.
func (k Key) MarshalJSON() ([]byte, error) {
	return json.Marshal(struct{ ID, Secret string }{k.ID, "[redacted]"})
}

// Keyring seals with its primary key and opens with any of its keys: add a
// new primary key and keep the old ones until every row is sealed again
// (SQLStore.Reseal), then drop them.
type Keyring struct {
	primary string
	aeads   map[string]cipher.AEAD
}

// ErrUnknownKey matches a sealed value whose key is not in the keyring. It
// matches ErrUnreadable too.
var ErrUnknownKey = errors.New("connecthttp: the value was sealed under a key the keyring does not have")

// unreadable is the error of a sealed value that does not open: it says
// why, and matches ErrUnreadable.
type unreadable struct{ err error }

func (e unreadable) Error() string   { return e.err.Error() }
func (e unreadable) Unwrap() []error { return []error{ErrUnreadable, e.err} }

// NewKeyring returns a keyring that seals with primary and opens with
// primary and older.
func NewKeyring(primary Key, older ...Key) (*Keyring, error) {
	k := &Keyring{primary: primary.ID, aeads: map[string]cipher.AEAD{}}
	for _, key := range append([]Key{primary}, older...) {
		switch {
		case key.ID == "" || len(key.ID) > 64:
			return nil, fmt.Errorf("connecthttp: NewKeyring: %w", &kryptos.ParamError{Field: "Key.ID", Problem: "must be 1 to 64 characters"})
		case len(key.Secret) != 32:
			return nil, fmt.Errorf("connecthttp: NewKeyring: %w", &kryptos.ParamError{Field: "Key.Secret", Problem: "must be 32 random bytes (AES-256)"})
		case k.aeads[key.ID] != nil:
			return nil, fmt.Errorf("connecthttp: NewKeyring: %w", &kryptos.ParamError{Field: "Key.ID", Problem: "each key needs its own ID"})
		}
		block, err := aes.NewCipher(key.Secret)
		if err != nil {
			return nil, fmt.Errorf("connecthttp: NewKeyring: %w", err)
		}
		if k.aeads[key.ID], err = cipher.NewGCM(block); err != nil {
			return nil, fmt.Errorf("connecthttp: NewKeyring: %w", err)
		}
	}
	return k, nil
}

// seal encrypts plain under the primary key, bound to context (the row it
// belongs to, so a sealed value cannot be moved to another row). It
// returns the key's ID and nonce||ciphertext.
func (k *Keyring) seal(plain, context []byte) (string, []byte) {
	aead := k.aeads[k.primary]
	nonce := make([]byte, aead.NonceSize())
	_, _ = rand.Read(nonce)
	return k.primary, aead.Seal(nonce, nonce, plain, context)
}

// open decrypts a value sealed under keyID for context.
func (k *Keyring) open(keyID string, sealed, context []byte) ([]byte, error) {
	aead := k.aeads[keyID]
	if aead == nil {
		return nil, unreadable{fmt.Errorf("%w: %q", ErrUnknownKey, keyID)}
	}
	if len(sealed) < aead.NonceSize() {
		return nil, unreadable{errors.New("connecthttp: a sealed value is too short")}
	}
	plain, err := aead.Open(nil, sealed[:aead.NonceSize()], sealed[aead.NonceSize():], context)
	if err != nil {
		return nil, unreadable{errors.New("connecthttp: a sealed value does not open: wrong key, or it was altered or moved")}
	}
	return plain, nil
}
