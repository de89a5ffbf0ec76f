package oauth

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"encoding/json"
	"errors"
	"net/http"
	"sync"
	"time"
)

// The sign-in state: before sending the browser to the provider, the Client
// sets a short-lived cookie that holds the state it sends along, the PKCE
// verifier and the ID token nonce, sealed with AES-GCM under a key derived
// from Config.StateKey. The callback is accepted only from the browser that
// holds that cookie, with the state the provider sends back, once, within
// ten minutes: a forged, foreign or replayed callback is refused.

// SignInTTL is how long a started sign-in may take.
const SignInTTL = 10 * time.Minute

// ErrState matches a callback that does not belong to a sign-in this
// browser started: its state is missing or foreign, it was already used, or
// it expired. Start the sign-in again.
var ErrState = errors.New("oauth: the callback's state does not match a sign-in started by this browser")

// pending is what the cookie holds.
type pending struct {
	State    string `json:"s"`
	Verifier string `json:"v"`
	Nonce    string `json:"n"`
	ReturnTo string `json:"r,omitempty"`
	Expires  int64  `json:"e"`
}

// cookieName names the cookie of one sign-in, so that sign-ins in several
// tabs do not overwrite each other. Over https it takes the __Host- prefix:
// the browser then keeps it to this host and path /, over https only.
func (c *Client) cookieName(state string) string {
	name := "kryptos_oauth_" + state[:12]
	if c.secure {
		return "__Host-" + name
	}
	return name
}

// setPending seals p into its cookie.
func (c *Client) setPending(w http.ResponseWriter, p pending) error {
	plain, err := json.Marshal(p)
	if err != nil {
		return err
	}
	aead, err := c.aead()
	if err != nil {
		return err
	}
	name := c.cookieName(p.State)
	nonce := make([]byte, aead.NonceSize())
	_, _ = rand.Read(nonce)
	sealed := aead.Seal(nonce, nonce, plain, []byte(name))
	http.SetCookie(w, &http.Cookie{
		Name: name, Value: base64.RawURLEncoding.EncodeToString(sealed), Path: "/", MaxAge: int(SignInTTL / time.Second),
		HttpOnly: true, Secure: c.secure, SameSite: http.SameSiteLaxMode,
	})
	return nil
}

// takePending opens the cookie of the sign-in that state names, checks it,
// and deletes it: a callback is accepted once.
func (c *Client) takePending(w http.ResponseWriter, r *http.Request, state string) (pending, error) {
	var p pending
	if len(state) < 32 {
		return p, ErrState
	}
	name := c.cookieName(state)
	cookie, err := r.Cookie(name)
	if err != nil {
		return p, ErrState
	}
	http.SetCookie(w, &http.Cookie{Name: name, Value: "", Path: "/", MaxAge: -1, HttpOnly: true, Secure: c.secure, SameSite: http.SameSiteLaxMode})
	sealed, err := base64.RawURLEncoding.DecodeString(cookie.Value)
	if err != nil {
		return p, ErrState
	}
	aead, err := c.aead()
	if err != nil {
		return p, err
	}
	if len(sealed) < aead.NonceSize() {
		return p, ErrState
	}
	plain, err := aead.Open(nil, sealed[:aead.NonceSize()], sealed[aead.NonceSize():], []byte(name))
	if err != nil || json.Unmarshal(plain, &p) != nil {
		return p, ErrState
	}
	if subtle.ConstantTimeCompare([]byte(p.State), []byte(state)) != 1 || time.Now().Unix() > p.Expires {
		return p, ErrState
	}
	// Deleting the cookie stops a replay only once the browser has read
	// this answer: a reload of the callback page before then, or anyone who
	// copied the cookie, delivers it again, and a code presented twice makes
	// the provider revoke what the first use gave (RFC 6749 §4.1.2).
	if !c.spent.spend(p.State, p.Expires) {
		return p, ErrState
	}
	return p, nil
}

// spentStates remembers the states of the callbacks a Client accepted,
// until their sign-ins expire, so that each is accepted once by this
// process (replicas of an app each keep their own).
type spentStates struct {
	mu        sync.Mutex
	m         map[string]int64 // state: when its sign-in expires (Unix seconds)
	nextPrune int64
}

// spend reports whether state was not spent yet, and spends it.
func (s *spentStates) spend(state string, expires int64) bool {
	now := time.Now().Unix()
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.m == nil {
		s.m = map[string]int64{}
	}
	if now >= s.nextPrune {
		for k, e := range s.m {
			if now > e {
				delete(s.m, k)
			}
		}
		s.nextPrune = now + 60
	}
	if _, ok := s.m[state]; ok {
		return false
	}
	s.m[state] = expires
	return true
}

func (c *Client) aead() (cipher.AEAD, error) {
	block, err := aes.NewCipher(c.stateKey)
	if err != nil {
		return nil, err
	}
	return cipher.NewGCM(block)
}

// randomString returns n random bytes, base64url-encoded.
func randomString(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}
