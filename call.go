package kryptos

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/kryptos-connect/kryptos-go/internal/httpcore"
	"github.com/kryptos-connect/kryptos-go/internal/redact"
)

// CallOption adjusts one call of a Client or UserClient method.
type CallOption func(*callSettings)

type callSettings struct {
	response *Response
}

// Response is what the final HTTP answer of a call said about itself:
// status, request ID (quote it to Kryptos support) and headers.
type Response struct {
	// StatusCode is 0 when no answer came.
	StatusCode int
	// RequestID is the answer's X-Request-Id header.
	RequestID string
	// Header is the answer's header; nil when no answer came.
	Header http.Header
	// Attempts counts the attempts the call made, retries included.
	Attempts int
}

// CaptureResponse makes a call fill in r with its final answer, whether the
// call succeeded or not:
//
//	var resp kryptos.Response
//	grants, err := client.ListGrants(ctx, kryptos.CaptureResponse(&resp))
//	log.Printf("request %s took %d attempt(s)", resp.RequestID, resp.Attempts)
//
// A nil r is ignored. Errors carry the request ID too (Error.RequestID).
func CaptureResponse(r *Response) CallOption {
	return func(s *callSettings) { s.response = r }
}

// request is what a method adds to its operation.
type request struct {
	// params fill the operation's path parameters, in order.
	params []string
	query  url.Values
	// body, when not nil, is sent as JSON.
	body any
	// cred authorizes a data API call.
	cred Credential
	// check, when set, says what the decoded answer lacks; it runs after
	// out's own check, if out is a checker, so that neither hides the
	// other. Public types and pages, which have none, need it.
	check func() error
	// repeated, for an operation that reports its effect, says what the
	// decoded answer lacks when an attempt before the final one may have
	// taken effect: the final answer then describes a repeat, and an
	// effect it does not report may have happened all the same.
	repeated func() error
}

// checker is implemented by answers that can tell whether they lack a field
// the operation cannot do without.
type checker interface {
	check() error
}

// do performs op and decodes its data into out.
func (c *Client) do(ctx context.Context, op *operation, r request, out any, opts []CallOption) error {
	call := httpcore.Call{Op: op.name, Class: string(op.class), Policy: op.policy, Method: op.method,
		ConsumedCode: op.consumedCode, NoData: op.noData, Tracked: op.reported}
	base := c.endpoints.Connect
	var scrub []string
	switch op.auth {
	case byClient:
		call.Header = c.clientHeader
		scrub = c.clientSecrets
	case byUser, byUserOrAPIKey:
		if r.cred == nil {
			return invalid(op, &ParamError{"credential", "is nil; build one with AccessToken, TokenSource or APIKey"})
		}
		call.Header = make(http.Header, 1)
		if err := r.cred.authorize(ctx, op, call.Header); err != nil {
			return invalid(op, err)
		}
		// What was sent is masked too: a TokenSource's token is known
		// only once it has authorized the call.
		scrub = []string{r.cred.secret(), sentToken(call.Header)}
	}
	if op.api == dataAPI {
		base = c.endpoints.Data
	}
	if len(r.params) > 0 {
		if err := op.checkParams(r.params); err != nil {
			return invalid(op, err)
		}
	}
	call.URL = op.url(base, r.params, r.query)
	if r.body != nil {
		body, err := json.Marshal(r.body)
		if err != nil {
			return fmt.Errorf("kryptos: %s: encoding the request: %w", op.name, err)
		}
		call.Body = body
	}
	meta, err := c.core.Do(ctx, &call, out)
	if err != nil && r.cred != nil && isUnauthorized(err) && r.cred.refused(call.Header) {
		var sent string
		meta, sent, err = c.again(ctx, op, r.cred, call, out)
		scrub = append(scrub, sent)
	}
	for _, o := range opts {
		if o != nil {
			var s callSettings
			o(&s)
			if s.response != nil {
				*s.response = Response{StatusCode: meta.StatusCode, RequestID: meta.RequestID, Header: meta.Header, Attempts: meta.Attempts}
			}
		}
	}
	if err != nil {
		return opError(op, err, scrub)
	}
	var missing error
	if ch, ok := out.(checker); ok {
		missing = ch.check()
	}
	if missing == nil && r.check != nil {
		missing = r.check()
	}
	if missing == nil && op.reported && meta.EarlierEffect && r.repeated != nil {
		if lost := r.repeated(); lost != nil {
			// The answer is a repeat's: what an earlier attempt did is lost.
			e := &Error{StatusCode: meta.StatusCode, RequestID: meta.RequestID, Message: lost.Error(), cause: lost}
			return wrapOp(op, e, true)
		}
	}
	if missing != nil {
		// A success without what the operation is for. The effect of a
		// one-time operation happened, but its result is lost.
		e := &Error{StatusCode: meta.StatusCode, RequestID: meta.RequestID,
			Message: missing.Error(), cause: fmt.Errorf("%w: %w", ErrMalformedResponse, missing)}
		return wrapOp(op, e, op.policy == oneShot)
	}
	if n, ok := out.(noter); ok {
		for _, note := range n.notes() {
			c.logger.LogAttrs(ctx, slog.LevelWarn, "kryptos: an optional field of the answer was odd and was left empty",
				slog.String("op", op.name), slog.String("request_id", meta.RequestID), slog.String("field", redact.OneLine(redact.Secrets(note, scrub))))
		}
	}
	return nil
}

// getObject performs op, whose answer's data is one object, and decodes it
// into a T. An answer whose data is missing, null, or lacks what key reads
// (the object's id) is malformed: "no <what> in the answer".
func getObject[T any](ctx context.Context, c *Client, op *operation, r request, opts []CallOption, what string, key func(*T) string) (*T, error) {
	var v T
	r.check = func() error {
		if key(&v) == "" {
			return errors.New("no " + what + " in the answer")
		}
		return nil
	}
	if err := c.do(ctx, op, r, &v, opts); err != nil {
		return nil, err
	}
	return &v, nil
}

// again sends a call whose credential was refused once more, authorized
// anew: the credential's source has a fresh token. The refused attempt had
// no effect, so this is safe for every operation.
// It returns the token it sent, to mask in the error.
func (c *Client) again(ctx context.Context, op *operation, cred Credential, call httpcore.Call, out any) (httpcore.Meta, string, error) {
	call.Header = make(http.Header, 1) // the first one may still be read by net/http
	if err := cred.authorize(ctx, op, call.Header); err != nil {
		return httpcore.Meta{}, "", err
	}
	meta, err := c.core.Do(ctx, &call, out)
	return meta, sentToken(call.Header), err
}

// sentToken is the bearer token (or API key) a call's header carries.
func sentToken(h http.Header) string {
	if key := h.Get("X-Api-Key"); key != "" {
		return key
	}
	return strings.TrimPrefix(h.Get("Authorization"), "Bearer ")
}

func isUnauthorized(err error) bool {
	var f *httpcore.Failure
	return errors.As(err, &f) && f.StatusCode == http.StatusUnauthorized
}

// invalid wraps the rejection of an argument of op.
func invalid(op *operation, err error) error {
	return fmt.Errorf("kryptos: %s: %w", op.name, err)
}

// The client-side wait after which a call says in the log that the quota
// held it.
const slowQuotaWait = time.Second

// wait holds an attempt of class until the Limiter lets it go. It logs a
// wait that took long, and words the error so that it blames the quota only
// when the quota was the cause.
func (c *Client) wait(ctx context.Context, class string) error {
	start := time.Now()
	err := c.limiter.Wait(ctx, QuotaClass(class), c.maxQuotaWait)
	waited := time.Since(start)
	if waited >= slowQuotaWait {
		c.logger.LogAttrs(ctx, slog.LevelWarn, "kryptos: the client-side quota held a call",
			slog.String("class", class), slog.Duration("waited", waited))
	}
	switch {
	case err == nil:
		return nil
	case errors.Is(err, ErrQuotaWait):
		return err
	case ctx.Err() != nil && waited < time.Millisecond:
		return ctx.Err()
	case ctx.Err() != nil:
		return fmt.Errorf("%w after waiting %s for the client-side quota of class %s", ctx.Err(), waited.Round(time.Millisecond), class)
	}
	return fmt.Errorf("the limiter failed: %w", err)
}

// backoff tells the Limiter of a 429, and says so in the log: every call of
// the class waits, not only the one that drew it.
func (c *Client) backoff(ctx context.Context, class string, wait time.Duration) {
	c.logger.LogAttrs(ctx, slog.LevelWarn, "kryptos: the server asked to slow down; calls of this class wait",
		slog.String("class", class), slog.Duration("wait", wait))
	c.limiter.Backoff(ctx, QuotaClass(class), wait)
}
