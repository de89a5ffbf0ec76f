package oauth

import (
	"sync"
	"time"

	"golang.org/x/oauth2"
)

// refreshFlights are the refreshes of one Client, by the refresh token
// they spend: under way, or done a moment ago (refreshRemembered) and
// saved by the TokenSource that made them.
type refreshFlights struct {
	mu sync.Mutex
	m  map[string]*refreshFlight
	// unsaved are refreshed tokens their store refused, by the refresh
	// token they replace: the next TokenSource that loads that one saves
	// them instead of spending it again.
	unsaved map[string]*oauth2.Token
}

// keepUnsaved remembers tok, the result of spending the last of
// refreshTokens (the first is the one its TokenSource loaded), under each
// of them, until a TokenSource saves it. A provider that does not rotate
// answers the refresh token spent, which still works: nothing is lost, and
// nothing is kept.
func (fs *refreshFlights) keepUnsaved(tok *oauth2.Token, refreshTokens ...string) {
	fs.mu.Lock()
	defer fs.mu.Unlock()
	for _, rt := range refreshTokens {
		if rt == tok.RefreshToken {
			return
		}
	}
	if fs.unsaved == nil {
		fs.unsaved = map[string]*oauth2.Token{}
	}
	for _, rt := range refreshTokens {
		fs.unsaved[rt] = tok
	}
}

// unsavedOf returns the unsaved result of spending refreshToken, if any.
func (fs *refreshFlights) unsavedOf(refreshToken string) *oauth2.Token {
	fs.mu.Lock()
	defer fs.mu.Unlock()
	return fs.unsaved[refreshToken]
}

// loaded notes that a store holds tok: if it is an unsaved result, its
// save committed after all (the store's answer was lost), and the result
// is forgotten as saved, so that a TokenSource that loads the refresh
// token it replaced does not save it over the newer tokens since.
func (fs *refreshFlights) loaded(tok *oauth2.Token) {
	fs.mu.Lock()
	var saved *oauth2.Token
	for _, u := range fs.unsaved {
		if u.RefreshToken == tok.RefreshToken && u.AccessToken == tok.AccessToken {
			saved = u
			break
		}
	}
	fs.mu.Unlock()
	if saved != nil {
		fs.savedNow(saved)
	}
}

// savedNow forgets tok, an unsaved result now saved, and remembers it as
// a landed flight of each refresh token it was kept under: a TokenSource
// that loaded one of those before the save (a lagging store, or a request
// that loaded it a moment earlier) joins it rather than spending that
// refresh token again.
func (fs *refreshFlights) savedNow(tok *oauth2.Token) {
	fs.mu.Lock()
	defer fs.mu.Unlock()
	done := make(chan struct{})
	close(done)
	f := &refreshFlight{done: done, tok: tok, landed: time.Now()}
	for rt, u := range fs.unsaved {
		if u != tok {
			continue
		}
		delete(fs.unsaved, rt)
		switch prev := fs.m[rt]; {
		case prev == nil || !prev.landed.IsZero():
			fs.m[rt] = f
		default:
			// A flight under way lands on its own; if it fails (its own
			// save of this very token, say), this record takes its place.
			prev.replaced[rt] = f
		}
	}
}

// refreshFlight is one refresh, and the save of its result. tok and err
// are read once done is closed.
type refreshFlight struct {
	done     chan struct{}
	tok      *oauth2.Token
	err      error
	panicked any
	landed   time.Time
	// replaced are the landed flights this one took the place of, by
	// refresh token, put back if it fails.
	replaced map[string]*refreshFlight
	// unsaved is the result, kept by keepUnsaved, of an earlier spending
	// of the refresh token this flight would spend: it saves that instead.
	// join reads it with the flight made, so that no save of it in between
	// makes the flight spend the token again.
	unsaved *oauth2.Token
}

// maxChain bounds how many remembered refreshes join follows from a
// loaded refresh token: each is a refresh of the last minute
// (refreshRemembered), so a chain is a few long at most; the bound only
// keeps a cycle from looping.
const maxChain = 8

// refreshRemembered is how long a refresh's saved result is handed to a
// TokenSource that loaded the refresh token it spent before it was saved.
const refreshRemembered = time.Minute

// join returns the flight of refreshToken, whether the caller must make
// it, and the refresh token that flight spends. A refresh of this Client
// that spent refreshToken a moment ago is joined while its result is
// usable; once that result's access token was refused, a new flight
// refreshes it in turn, spending its refresh token: refreshToken is spent,
// and spending it again would make a rotating provider revoke the chain.
func (fs *refreshFlights) join(refreshToken string, usable func(*oauth2.Token) bool) (f *refreshFlight, leader bool, spend string) {
	fs.mu.Lock()
	defer fs.mu.Unlock()
	now := time.Now()
	for k, f := range fs.m {
		if !f.landed.IsZero() && now.Sub(f.landed) > refreshRemembered {
			delete(fs.m, k)
		}
	}
	// Follow the chain of remembered refreshes from refreshToken: the
	// flight that spends a token is kept under it, and under the token
	// its TokenSource loaded, so that one that loaded either joins it.
	spend = refreshToken
	for range maxChain {
		prev := fs.m[spend]
		if prev == nil {
			break
		}
		if prev.landed.IsZero() || usable(prev.tok) {
			return prev, false, ""
		}
		if prev.tok.RefreshToken == "" || prev.tok.RefreshToken == spend {
			break
		}
		spend = prev.tok.RefreshToken
	}
	f = &refreshFlight{done: make(chan struct{}), replaced: map[string]*refreshFlight{}, unsaved: fs.unsaved[spend]}
	for _, rt := range []string{refreshToken, spend} {
		if prev := fs.m[rt]; prev != nil && prev != f {
			f.replaced[rt] = prev // landed: restored if f fails
		}
		fs.m[rt] = f
	}
	return f, true, spend
}

// land ends a flight. A failed one is forgotten at once, so that a later
// call may try again.
func (fs *refreshFlights) land(f *refreshFlight, refreshTokens ...string) {
	fs.mu.Lock()
	if f.err != nil {
		for _, rt := range refreshTokens {
			if fs.m[rt] != f {
				continue
			}
			// The landed flight f replaced still says that rt was
			// spent: forgetting it would let a source that loads rt
			// spend it again.
			if prev := f.replaced[rt]; prev != nil {
				fs.m[rt] = prev
			} else {
				delete(fs.m, rt)
			}
		}
	} else {
		f.landed = time.Now()
	}
	fs.mu.Unlock()
	close(f.done)
}
