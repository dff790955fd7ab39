package contact

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/scrmkit/scrm/internal/kv"
	"github.com/scrmkit/scrm/wecom"
)

// Transfers starts customer transfers and follows each until its outcome is
// final: WeCom completes a takeover 24 hours after it was asked for (or the
// customer refuses it, or the takeover member has too many customers), and
// raises no event when it completes, so a CRM asks transfer_result again
// until nothing waits. Transfers keeps the customers still waiting in a
// Store (one key per corp), so that any instance, after a restart too, goes
// on following them:
//
//	tr, err := contact.NewTransfers(svc, store)
//	res, err := tr.TransferCustomerMany(ctx, &contact.TransferCustomerRequest{HandoverUserID: "a", TakeoverUserID: "b", ExternalUserID: ids}, 0)
//	// later, every hour, say:
//	outcomes, err := tr.Check(ctx) // each final outcome once: taken over, refused, limit reached
//
// Each outcome is reported once, also when several instances Check at the
// same time: a customer leaves the waiting list in the Store (compare and
// swap) before its outcome is returned. A transfer_fail event
// (callback.ChangeTransferFail) is a good moment to Check early.
type Transfers struct {
	svc   *Service
	store wecom.Store
	key   string
}

// TransferOutcome is the final outcome of one customer's transfer.
type TransferOutcome struct {
	HandoverUserID string
	TakeoverUserID string
	ExternalUserID string
	// Resigned is set for a resigned member's customer (离职继承).
	Resigned bool
	// Status is final: TransferDone, TransferRefused, TransferLimitReached
	// or TransferNoRecord.
	Status TransferStatus
	// TakeoverTime is when WeCom reported the outcome's time
	// (transfer_result's takeover_time).
	TakeoverTime time.Time
}

// pendingTransfers is what the Store keeps: the customers still waiting,
// per (handover, takeover, resigned).
type pendingTransfers struct {
	Pairs []pendingPair `json:"pairs"`
}

type pendingPair struct {
	Handover  string   `json:"handover"`
	Takeover  string   `json:"takeover"`
	Resigned  bool     `json:"resigned,omitempty"`
	Customers []string `json:"customers"`
}

// NewTransfers returns Transfers starting transfers through svc and keeping
// the waiting customers in store (give every instance the same one).
func NewTransfers(svc *Service, store wecom.Store) (*Transfers, error) {
	if svc == nil || svc.c == nil {
		return nil, errors.New("contact: NewTransfers needs a Service (contact.New(client))")
	}
	if store == nil {
		return nil, errors.New("contact: NewTransfers needs a Store (the client's: client.Store())")
	}
	return &Transfers{svc: svc, store: store, key: "scrm:contact:transfers:" + svc.c.CorpID()}, nil
}

// TransferCustomerMany hands an in-service member's customers over
// (Service.TransferCustomerMany) and follows the ones WeCom accepted; the
// result is Service.TransferCustomerMany's, one per customer.
//
// WeCom API docs: https://developer.work.weixin.qq.com/document/path/92125
func (t *Transfers) TransferCustomerMany(ctx context.Context, req *TransferCustomerRequest, concurrency int) ([]wecom.BatchResult[string, struct{}], error) {
	res, err := t.svc.TransferCustomerMany(ctx, req, concurrency)
	if err != nil {
		return nil, err
	}
	return res, t.follow(ctx, pendingPair{Handover: req.HandoverUserID, Takeover: req.TakeoverUserID}, res)
}

// ResignedTransferCustomerMany hands a resigned member's customers over
// (Service.ResignedTransferCustomerMany) and follows the ones WeCom
// accepted.
//
// WeCom API docs: https://developer.work.weixin.qq.com/document/path/94081
func (t *Transfers) ResignedTransferCustomerMany(ctx context.Context, req *ResignedTransferCustomerRequest, concurrency int) ([]wecom.BatchResult[string, struct{}], error) {
	res, err := t.svc.ResignedTransferCustomerMany(ctx, req, concurrency)
	if err != nil {
		return nil, err
	}
	return res, t.follow(ctx, pendingPair{Handover: req.HandoverUserID, Takeover: req.TakeoverUserID, Resigned: true}, res)
}

// follow adds the accepted customers of res to the waiting list.
func (t *Transfers) follow(ctx context.Context, pair pendingPair, res []wecom.BatchResult[string, struct{}]) error {
	for _, r := range res {
		if r.Err == nil {
			pair.Customers = append(pair.Customers, r.Item)
		}
	}
	if len(pair.Customers) == 0 {
		return nil
	}
	err := kv.UpdateJSON(ctx, t.store, t.key, 0, func(cur pendingTransfers, _ bool) (*pendingTransfers, error) {
		i := slices.IndexFunc(cur.Pairs, pair.same)
		if i < 0 {
			cur.Pairs = append(cur.Pairs, pendingPair{Handover: pair.Handover, Takeover: pair.Takeover, Resigned: pair.Resigned})
			i = len(cur.Pairs) - 1
		}
		for _, c := range pair.Customers {
			if !slices.Contains(cur.Pairs[i].Customers, c) {
				cur.Pairs[i].Customers = append(cur.Pairs[i].Customers, c)
			}
		}
		return &cur, nil
	})
	if err != nil {
		return fmt.Errorf("contact: transfers started but not followed (list them with TransferResultIter): %w", err)
	}
	return nil
}

func (p pendingPair) same(o pendingPair) bool {
	return p.Handover == o.Handover && p.Takeover == o.Takeover && p.Resigned == o.Resigned
}

// Waiting returns how many customers are still followed.
func (t *Transfers) Waiting(ctx context.Context) (int, error) {
	cur, err := t.load(ctx)
	if err != nil {
		return 0, err
	}
	n := 0
	for _, p := range cur.Pairs {
		n += len(p.Customers)
	}
	return n, nil
}

// Check asks transfer_result (resigned/transfer_result) for every followed
// pair of members and returns the outcomes that became final since the last
// Check, each once; the customers still waiting stay followed. On an error
// the outcomes of the pairs read before it are returned with it (and are
// not reported again).
//
// WeCom API docs: https://developer.work.weixin.qq.com/document/path/94088
func (t *Transfers) Check(ctx context.Context) ([]TransferOutcome, error) {
	cur, err := t.load(ctx)
	if err != nil {
		return nil, err
	}
	var out []TransferOutcome
	for _, p := range cur.Pairs {
		final, err := t.read(ctx, p)
		if err != nil {
			return out, err
		}
		if len(final) == 0 {
			continue
		}
		var taken []TransferOutcome
		err = kv.UpdateJSON(ctx, t.store, t.key, 0, func(cur pendingTransfers, _ bool) (*pendingTransfers, error) {
			taken = taken[:0]
			i := slices.IndexFunc(cur.Pairs, p.same)
			if i < 0 {
				return &cur, nil
			}
			for _, o := range final {
				if j := slices.Index(cur.Pairs[i].Customers, o.ExternalUserID); j >= 0 {
					cur.Pairs[i].Customers = slices.Delete(cur.Pairs[i].Customers, j, j+1)
					taken = append(taken, o)
				}
			}
			if len(cur.Pairs[i].Customers) == 0 {
				cur.Pairs = slices.Delete(cur.Pairs, i, i+1)
			}
			if len(cur.Pairs) == 0 {
				return nil, nil
			}
			return &cur, nil
		})
		if err != nil {
			return out, fmt.Errorf("contact: transfer outcomes: %w", err)
		}
		out = append(out, taken...)
	}
	return out, nil
}

// read returns the final outcomes of a pair's followed customers.
func (t *Transfers) read(ctx context.Context, p pendingPair) ([]TransferOutcome, error) {
	var seq func(yield func(*CustomerTransfer, error) bool)
	if p.Resigned {
		seq = t.svc.ResignedTransferResultIter(ctx, &ResignedTransferResultRequest{HandoverUserID: p.Handover, TakeoverUserID: p.Takeover})
	} else {
		seq = t.svc.TransferResultIter(ctx, &TransferResultRequest{HandoverUserID: p.Handover, TakeoverUserID: p.Takeover})
	}
	latest := map[string]*CustomerTransfer{} // a customer transferred again: its last record
	for r, err := range seq {
		if err != nil {
			return nil, err
		}
		if slices.Contains(p.Customers, r.ExternalUserID) {
			latest[r.ExternalUserID] = r
		}
	}
	var out []TransferOutcome
	for _, c := range p.Customers {
		r := latest[c]
		if r == nil || r.Status == TransferWaiting {
			continue
		}
		out = append(out, TransferOutcome{HandoverUserID: p.Handover, TakeoverUserID: p.Takeover, ExternalUserID: c,
			Resigned: p.Resigned, Status: r.Status, TakeoverTime: r.TakeoverTime.Time()})
	}
	return out, nil
}

func (t *Transfers) load(ctx context.Context) (pendingTransfers, error) {
	var cur pendingTransfers
	raw, ok, err := t.store.Get(ctx, t.key)
	if err != nil || !ok || raw == "" {
		return cur, err
	}
	if err := json.Unmarshal([]byte(raw), &cur); err != nil {
		return cur, fmt.Errorf("contact: transfers: %w: %s: %v", kv.ErrCorrupt, t.key, err)
	}
	return cur, nil
}
