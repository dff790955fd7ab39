package contact

import (
	"context"
	"errors"
	"iter"

	"github.com/scrmkit/scrm/wecom"
)

// ErrNoTransferResult is matched (errors.Is) by the per-customer error of
// TransferCustomerMany and ResignedTransferCustomerMany for a customer that WeCom's
// answer does not name. The call reached WeCom, so the transfer may have
// started: the error also matches wecom.ErrOutcomeUnknown and is not
// retryable. Check TransferResult (or ResignedTransferResult) before sending
// it again; each customer can be transferred at most twice in 90 days.
var ErrNoTransferResult = errors.New("contact: customer missing from WeCom's transfer answer; the transfer may have started")

// noTransferResultError is the error of one customer missing from a
// transfer answer.
type noTransferResultError struct {
	path           string
	externalUserID string
}

func (e *noTransferResultError) Error() string {
	return "contact: " + e.path + ": customer " + e.externalUserID +
		" missing from WeCom's answer; the transfer may have started, check the transfer result before sending it again"
}

// Is matches ErrNoTransferResult and wecom.ErrOutcomeUnknown.
func (e *noTransferResultError) Is(target error) bool {
	return target == ErrNoTransferResult || target == wecom.ErrOutcomeUnknown
}

// TransferRequest hands customers of one member over to another.
type TransferRequest struct {
	HandoverUserID string   `json:"handover_userid"`
	TakeoverUserID string   `json:"takeover_userid"`
	ExternalUserID []string `json:"external_userid"` // 1 to 100 customers of HandoverUserID
	// TransferSuccessMsg is sent to the customers (at most 200 characters;
	// WeCom's default text when empty). In-service transfers only.
	TransferSuccessMsg string `json:"transfer_success_msg,omitempty"`
}

// TransferResult is WeCom's answer for one customer of a transfer: Errcode 0
// means the handover started (it completes after 24 hours unless the
// customer refuses), anything else is why it did not.
type TransferResult struct {
	ExternalUserID string `json:"external_userid"`
	Errcode        int    `json:"errcode"`
}

func (r *TransferRequest) validate(resigned bool) error {
	return firstErr(r.validateFields(resigned), maxItems("ExternalUserID", r.ExternalUserID, MaxTransferCustomers))
}

// validateFields checks everything but the number of customers per call.
func (r *TransferRequest) validateFields(resigned bool) error {
	if err := firstErr(required("HandoverUserID", r.HandoverUserID), required("TakeoverUserID", r.TakeoverUserID)); err != nil {
		return err
	}
	if len(r.ExternalUserID) == 0 {
		return invalidf("ExternalUserID is required")
	}
	if resigned && r.TransferSuccessMsg != "" {
		return invalidf("TransferSuccessMsg is not accepted for resigned members' customers")
	}
	return maxChars("TransferSuccessMsg", r.TransferSuccessMsg, 200)
}

// TransferCustomer starts handing over up to 100 customers of an in-service
// member (在职继承) to another member. Each customer can be transferred at
// most twice in 90 days. Not retried once it may have reached WeCom.
//
// WeCom API docs: https://developer.work.weixin.qq.com/document/path/92125
func (s *Service) TransferCustomer(ctx context.Context, req *TransferRequest) ([]TransferResult, error) {
	if req == nil {
		return nil, invalidf("request is nil")
	}
	if err := req.validate(false); err != nil {
		return nil, err
	}
	var out struct {
		Customer []TransferResult `json:"customer"`
	}
	if err := s.write(ctx, "/cgi-bin/externalcontact/transfer_customer", req, &out); err != nil {
		return nil, err
	}
	return out.Customer, nil
}

// ResignedTransferCustomer starts handing over up to 100 customers of a
// resigned member (离职继承) to another member; TransferSuccessMsg must be
// empty. Not retried once it may have reached WeCom.
//
// WeCom API docs: https://developer.work.weixin.qq.com/document/path/94081
func (s *Service) ResignedTransferCustomer(ctx context.Context, req *TransferRequest) ([]TransferResult, error) {
	if req == nil {
		return nil, invalidf("request is nil")
	}
	if err := req.validate(true); err != nil {
		return nil, err
	}
	var out struct {
		Customer []TransferResult `json:"customer"`
	}
	if err := s.write(ctx, "/cgi-bin/externalcontact/resigned/transfer_customer", req, &out); err != nil {
		return nil, err
	}
	return out.Customer, nil
}

// TransferCustomerMany hands over any number of customers of an in-service
// member: req.ExternalUserID is split into calls of 100, at most concurrency
// at a time (wecom.DefaultBatchConcurrency when <= 0). The result has one
// entry per customer in order; its Err is a *wecom.Error with WeCom's
// per-customer errcode, ErrNoTransferResult when WeCom's answer leaves the
// customer out, or the error of its whole call. The error is for a request
// refused before anything is sent (ErrInvalidArgument).
//
// WeCom API docs: https://developer.work.weixin.qq.com/document/path/92125
func (s *Service) TransferCustomerMany(ctx context.Context, req *TransferRequest, concurrency int) ([]wecom.BatchResult[string, struct{}], error) {
	return s.transferBatch(ctx, req, false, concurrency, s.TransferCustomer, "/cgi-bin/externalcontact/transfer_customer")
}

// ResignedTransferCustomerMany is TransferCustomerMany for a resigned member's
// customers.
//
// WeCom API docs: https://developer.work.weixin.qq.com/document/path/94081
func (s *Service) ResignedTransferCustomerMany(ctx context.Context, req *TransferRequest, concurrency int) ([]wecom.BatchResult[string, struct{}], error) {
	return s.transferBatch(ctx, req, true, concurrency, s.ResignedTransferCustomer, "/cgi-bin/externalcontact/resigned/transfer_customer")
}

func (s *Service) transferBatch(ctx context.Context, req *TransferRequest, resigned bool, concurrency int,
	call func(context.Context, *TransferRequest) ([]TransferResult, error), path string) ([]wecom.BatchResult[string, struct{}], error) {
	if req == nil {
		return nil, invalidf("request is nil")
	}
	if err := req.validateFields(resigned); err != nil {
		return nil, err
	}
	return wecom.Batch(ctx, req.ExternalUserID, MaxTransferCustomers, concurrency,
		func(ctx context.Context, chunk []string, out []wecom.BatchResult[string, struct{}]) error {
			r := *req
			r.ExternalUserID = chunk
			res, err := call(ctx, &r)
			if err != nil {
				return err
			}
			codes := make(map[string]int, len(res))
			for _, c := range res {
				codes[c.ExternalUserID] = c.Errcode
			}
			for i := range out {
				code, ok := codes[out[i].Item]
				switch {
				case !ok:
					out[i].Err = &noTransferResultError{path: path, externalUserID: out[i].Item}
				case code != 0:
					out[i].Err = &wecom.Error{Code: code, Msg: "transfer not started for this customer", Path: path}
				}
			}
			return nil
		}), nil
}

// TransferStatusRequest asks for the handover state of the customers moved
// from one member to another.
type TransferStatusRequest struct {
	HandoverUserID string `json:"handover_userid"`
	TakeoverUserID string `json:"takeover_userid"`
	Cursor         string `json:"cursor,omitempty"`
}

// CustomerTransfer is one customer's handover state.
type CustomerTransfer struct {
	ExternalUserID string         `json:"external_userid"`
	Status         TransferStatus `json:"status"`
	// TakeoverTime is when the takeover happened or, while TransferWaiting,
	// when it will happen.
	TakeoverTime wecom.UnixTime `json:"takeover_time"`
}

// TransferStatusResponse is one page (at most 1000) of handover states.
type TransferStatusResponse struct {
	Customer   []CustomerTransfer `json:"customer"`
	NextCursor string             `json:"next_cursor"`
}

func (s *Service) transferStatus(ctx context.Context, path string, req *TransferStatusRequest) (*TransferStatusResponse, error) {
	if req == nil {
		return nil, invalidf("request is nil")
	}
	if err := firstErr(required("HandoverUserID", req.HandoverUserID), required("TakeoverUserID", req.TakeoverUserID)); err != nil {
		return nil, err
	}
	var out TransferStatusResponse
	if err := s.read(ctx, path, req, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

func (s *Service) transferStatusIter(ctx context.Context, path string, req *TransferStatusRequest) iter.Seq2[*CustomerTransfer, error] {
	if req == nil {
		return errSeq[*CustomerTransfer](invalidf("request is nil"))
	}
	r := *req
	return wecom.Paginate(ctx, r.Cursor, func(ctx context.Context, cursor string) ([]*CustomerTransfer, string, error) {
		page := r
		page.Cursor = cursor
		resp, err := s.transferStatus(ctx, path, &page)
		if err != nil {
			return nil, "", err
		}
		items := make([]*CustomerTransfer, len(resp.Customer))
		for i := range resp.Customer {
			items[i] = &resp.Customer[i]
		}
		return items, resp.NextCursor, nil
	})
}

// TransferResult returns one page of the handover states of an in-service
// member's customers moved to a takeover member.
//
// WeCom API docs: https://developer.work.weixin.qq.com/document/path/94088
func (s *Service) TransferResult(ctx context.Context, req *TransferStatusRequest) (*TransferStatusResponse, error) {
	return s.transferStatus(ctx, "/cgi-bin/externalcontact/transfer_result", req)
}

// TransferResultIter yields every handover state TransferResult pages through.
//
// WeCom API docs: https://developer.work.weixin.qq.com/document/path/94088
func (s *Service) TransferResultIter(ctx context.Context, req *TransferStatusRequest) iter.Seq2[*CustomerTransfer, error] {
	return s.transferStatusIter(ctx, "/cgi-bin/externalcontact/transfer_result", req)
}

// ResignedTransferResult returns one page of the handover states of a
// resigned member's customers moved to a takeover member.
//
// WeCom API docs: https://developer.work.weixin.qq.com/document/path/94082
func (s *Service) ResignedTransferResult(ctx context.Context, req *TransferStatusRequest) (*TransferStatusResponse, error) {
	return s.transferStatus(ctx, "/cgi-bin/externalcontact/resigned/transfer_result", req)
}

// ResignedTransferResultIter yields every handover state
// ResignedTransferResult pages through.
//
// WeCom API docs: https://developer.work.weixin.qq.com/document/path/94082
func (s *Service) ResignedTransferResultIter(ctx context.Context, req *TransferStatusRequest) iter.Seq2[*CustomerTransfer, error] {
	return s.transferStatusIter(ctx, "/cgi-bin/externalcontact/resigned/transfer_result", req)
}

// UnassignedRequest pages through resigned members' customers that have not
// been handed over yet.
type UnassignedRequest struct {
	Cursor   string `json:"cursor,omitempty"`
	PageSize int    `json:"page_size,omitempty"` // default and maximum 1000
}

// UnassignedCustomer is a resigned member's customer waiting for a new member.
type UnassignedCustomer struct {
	HandoverUserID string         `json:"handover_userid"`
	ExternalUserID string         `json:"external_userid"`
	DimissionTime  wecom.UnixTime `json:"dimission_time"`
}

// UnassignedResponse is one page of unassigned customers.
type UnassignedResponse struct {
	Info       []UnassignedCustomer `json:"info"`
	IsLast     bool                 `json:"is_last"`
	NextCursor string               `json:"next_cursor"`
}

// ListUnassigned returns one page of the customers of resigned members that
// still wait to be handed over. Resigned members with only groups are not
// listed.
//
// WeCom API docs: https://developer.work.weixin.qq.com/document/path/92124
func (s *Service) ListUnassigned(ctx context.Context, req *UnassignedRequest) (*UnassignedResponse, error) {
	if req == nil {
		req = &UnassignedRequest{}
	}
	if req.PageSize < 0 || req.PageSize > 1000 {
		return nil, invalidf("PageSize is %d; WeCom allows 1 to 1000 (0 for its default)", req.PageSize)
	}
	var out UnassignedResponse
	if err := s.read(ctx, "/cgi-bin/externalcontact/get_unassigned_list", req, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// ListUnassignedIter yields every unassigned customer, starting at req.Cursor.
// req may be nil and is not modified.
//
// WeCom API docs: https://developer.work.weixin.qq.com/document/path/92124
func (s *Service) ListUnassignedIter(ctx context.Context, req *UnassignedRequest) iter.Seq2[*UnassignedCustomer, error] {
	var r UnassignedRequest
	if req != nil {
		r = *req
	}
	return wecom.Paginate(ctx, r.Cursor, func(ctx context.Context, cursor string) ([]*UnassignedCustomer, string, error) {
		page := r
		page.Cursor = cursor
		resp, err := s.ListUnassigned(ctx, &page)
		if err != nil {
			return nil, "", err
		}
		items := make([]*UnassignedCustomer, len(resp.Info))
		for i := range resp.Info {
			items[i] = &resp.Info[i]
		}
		next := resp.NextCursor
		if resp.IsLast {
			next = ""
		}
		return items, next, nil
	})
}
