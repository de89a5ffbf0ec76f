package kryptos

import (
	"context"
	"errors"
)

// LabelType is the transaction type a label belongs to: the values of
// the transactions' type field.
type LabelType string

// The documented label types.
const (
	LabelTypeDeposit    LabelType = "deposit"
	LabelTypeWithdrawal LabelType = "withdrawal"
	LabelTypeTrade      LabelType = "trade"
	LabelTypeTransfer   LabelType = "transfer"
	LabelTypePayment    LabelType = "payment"
)

// TaxEvent is how a label's transactions count for tax. Values the
// package does not know are kept as sent.
type TaxEvent string

// The documented tax events.
const (
	TaxEventCapitalGain TaxEvent = "CAPITAL_GAIN"
	TaxEventIncome      TaxEvent = "INCOME"
	TaxEventLost        TaxEvent = "LOST"
	TaxEventVault       TaxEvent = "VAULT"
)

// Label is a transaction label, such as "Buy" or "Staking Reward"
// (DATA-API.md §5.10): the value of a transaction's label field and of the
// transactions' labels filter.
type Label struct {
	// Name is the label itself (the API's "label" field), as transactions
	// carry it.
	Name string `json:"label"`
	// Type is "" for the common labels (Ignore, Failed, Unknown, Spam),
	// which the API sends with a null type: they apply to every type.
	Type LabelType `json:"type"`
	// TaxEvent is "" when the label has no tax consequence (null).
	TaxEvent TaxEvent `json:"taxEvent"`
	// Description is "" when the API sends none.
	Description string `json:"description"`
}

// Common reports whether the label is one of the labels every transaction
// type may carry (Ignore, Failed, Unknown, Spam).
func (l Label) Common() bool { return l.Type == "" }

// LabelsParams filter ListLabels.
type LabelsParams struct {
	// Type keeps the labels of one transaction type. The API puts the
	// common labels (Ignore, Failed, Unknown, Spam) first in a filtered
	// list.
	Type LabelType
}

// labelsAnswer is the list itself: {success, data: [...]}, not paginated.
type labelsAnswer []Label

// ListLabels returns the transaction labels, all at once (the list is not
// paginated): GET /v1/labels. It needs the user's token but no scope and
// no workspace: the labels are the same for everyone.
func (u *UserClient) ListLabels(ctx context.Context, p LabelsParams, opts ...CallOption) ([]Label, error) {
	q := newQuery().oneOf("type", string(p.Type), string(LabelTypeDeposit), string(LabelTypeWithdrawal),
		string(LabelTypeTrade), string(LabelTypeTransfer), string(LabelTypePayment))
	if err := q.check(); err != nil {
		return nil, invalid(opListLabels, err)
	}
	var a labelsAnswer
	if err := u.c.do(ctx, opListLabels, request{query: q.v, cred: u.cred}, &a, opts); err != nil {
		return nil, err
	}
	return a, nil
}

func (a *labelsAnswer) check() error {
	if *a == nil {
		// data missing or null: the list is lost, not empty ([]).
		return errors.New("no labels in the answer")
	}
	for _, l := range *a {
		if l.Name == "" {
			return errors.New("a label without its name")
		}
	}
	return nil
}
