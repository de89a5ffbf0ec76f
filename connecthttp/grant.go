package connecthttp

import (
	"context"
	"errors"

	"github.com/kryptos-connect/kryptos-go"
)

// grantOf names conn's grant: its GrantID, or else the one its session
// names.
func (h *Handler) grantOf(ctx context.Context, conn *Connection) string {
	if conn.GrantID != "" {
		return conn.GrantID
	}
	return h.sessionGrant(ctx, conn)
}

// revoke revokes the grant id. A grant that is gone already is as good as
// revoked, and so is one that cannot be named ("").
func (h *Handler) revoke(ctx context.Context, id string) error {
	if id == "" {
		return nil
	}
	if err := h.cfg.Client.RevokeGrant(ctx, id); err != nil && !errors.Is(err, kryptos.ErrGrantNotFound) {
		return err
	}
	return nil
}

// sessionGrant asks the API which grant conn's access token belongs to: ""
// when it does not say, or the token opens no session.
func (h *Handler) sessionGrant(ctx context.Context, conn *Connection) string {
	if conn.AccessToken.Reveal() == "" {
		return ""
	}
	s, err := h.cfg.Client.CheckSession(ctx, conn.AccessToken.Reveal())
	if err != nil {
		h.logger.Warn("connecthttp: asking which grant a token belongs to", "err", err)
		return ""
	}
	return s.GrantID
}
