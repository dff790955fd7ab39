package contact

import (
	"context"
	"errors"
	"iter"

	"github.com/scrmkit/scrm/internal/api"
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

// TransferCustomerRequest hands customers of an in-service member (在职继承)
// over to another member.
type TransferCustomerRequest struct {
	HandoverUserID string `json:"handover_userid"`
	TakeoverUserID string `json:"takeover_userid"`
	// ExternalUserID names 1 to MaxTransferCustomers customers of
	// HandoverUserID (any number for TransferCustomerMany, which splits
	// them).
	ExternalUserID []string `json:"external_userid"`
	// TransferSuccessMsg is sent to the customers (at most 200 characters;
	// WeCom's default text when empty).
	TransferSuccessMsg string `json:"transfer_success_msg,omitempty"`
}

// ResignedTransferCustomerRequest hands customers of a resigned member
// (离职继承) over to another member. Unlike TransferCustomerRequest it has
// no TransferSuccessMsg: WeCom takes none for a resigned member's
// customers.
type ResignedTransferCustomerRequest struct {
	HandoverUserID string `json:"handover_userid"`
	TakeoverUserID string `json:"takeover_userid"`
	// ExternalUserID names 1 to MaxTransferCustomers customers of
	// HandoverUserID (any number for ResignedTransferCustomerMany, which
	// splits them).
	ExternalUserID []string `json:"external_userid"`
}

// TransferResult is WeCom's answer for one customer of a transfer: Errcode 0
// means the handover started (it completes after 24 hours unless the
// customer refuses), anything else is why it did not.
type TransferResult struct {
	ExternalUserID string `json:"external_userid"`
	Errcode        int    `json:"errcode"`
}

// maxTransferSuccessMsgLen is the longest TransferSuccessMsg, in characters.
const maxTransferSuccessMsgLen = 200

// transfer is what the two transfer requests share: who hands over, who
// takes over, which customers.
type transfer struct {
	handover, takeover string
	customers          []string
}

// validate checks everything but the number of customers per call.
func (t transfer) validate() error {
	if err := api.FirstErr(check.Required("HandoverUserID", t.handover), check.Required("TakeoverUserID", t.takeover)); err != nil {
		return err
	}
	if len(t.customers) == 0 {
		return check.Invalidf("ExternalUserID is required")
	}
	return nil
}

func (r *TransferCustomerRequest) validate() error {
	return api.FirstErr(transfer{r.HandoverUserID, r.TakeoverUserID, r.ExternalUserID}.validate(),
		check.MaxChars("TransferSuccessMsg", r.TransferSuccessMsg, maxTransferSuccessMsgLen))
}

func (r *ResignedTransferCustomerRequest) validate() error {
	return transfer{r.HandoverUserID, r.TakeoverUserID, r.ExternalUserID}.validate()
}

// TransferCustomer starts handing over up to 100 customers of an in-service
// member (在职继承) to another member. Each customer can be transferred at
// most twice in 90 days. Not retried once it may have reached WeCom.
//
// WeCom API docs: https://developer.work.weixin.qq.com/document/path/92125
func (s *Service) TransferCustomer(ctx context.Context, req *TransferCustomerRequest) ([]TransferResult, error) {
	if req == nil {
		return nil, check.Invalidf("request is nil")
	}
	if err := api.FirstErr(req.validate(), api.MaxItems(check, "ExternalUserID", req.ExternalUserID, MaxTransferCustomers)); err != nil {
		return nil, err
	}
	return s.transferCustomer(ctx, pathTransferCustomer, req)
}

// ResignedTransferCustomer starts handing over up to 100 customers of a
// resigned member (离职继承) to another member. Not retried once it may
// have reached WeCom.
//
// WeCom API docs: https://developer.work.weixin.qq.com/document/path/94081
func (s *Service) ResignedTransferCustomer(ctx context.Context, req *ResignedTransferCustomerRequest) ([]TransferResult, error) {
	if req == nil {
		return nil, check.Invalidf("request is nil")
	}
	if err := api.FirstErr(req.validate(), api.MaxItems(check, "ExternalUserID", req.ExternalUserID, MaxTransferCustomers)); err != nil {
		return nil, err
	}
	return s.transferCustomer(ctx, pathResignedTransferCustomer, req)
}

const (
	pathTransferCustomer         = "/cgi-bin/externalcontact/transfer_customer"
	pathResignedTransferCustomer = "/cgi-bin/externalcontact/resigned/transfer_customer"
)

func (s *Service) transferCustomer(ctx context.Context, path string, body any) ([]TransferResult, error) {
	var out struct {
		Customer []TransferResult `json:"customer"`
	}
	if err := api.Write(ctx, s.c, path, body, &out); err != nil {
		return nil, err
	}
	return out.Customer, nil
}

// TransferCustomerMany hands over any number of customers of an in-service
// member: req.ExternalUserID is split into calls of MaxTransferCustomers,
// at most concurrency at a time (wecom.DefaultBatchConcurrency when <= 0).
// req is not modified. The result has one entry per customer in order; its
// Err is a *wecom.Error with WeCom's per-customer errcode,
// ErrNoTransferResult when WeCom's answer leaves the customer out, or the
// error of its whole call. The error is for a request refused before
// anything is sent (ErrInvalidArgument).
//
// WeCom API docs: https://developer.work.weixin.qq.com/document/path/92125
func (s *Service) TransferCustomerMany(ctx context.Context, req *TransferCustomerRequest, concurrency int) ([]wecom.BatchResult[string, struct{}], error) {
	if req == nil {
		return nil, check.Invalidf("request is nil")
	}
	if err := req.validate(); err != nil {
		return nil, err
	}
	return s.transferMany(ctx, pathTransferCustomer, req.ExternalUserID, concurrency, func(chunk []string) any {
		r := *req
		r.ExternalUserID = chunk
		return &r
	}), nil
}

// ResignedTransferCustomerMany is TransferCustomerMany for a resigned member's
// customers.
//
// WeCom API docs: https://developer.work.weixin.qq.com/document/path/94081
func (s *Service) ResignedTransferCustomerMany(ctx context.Context, req *ResignedTransferCustomerRequest, concurrency int) ([]wecom.BatchResult[string, struct{}], error) {
	if req == nil {
		return nil, check.Invalidf("request is nil")
	}
	if err := req.validate(); err != nil {
		return nil, err
	}
	return s.transferMany(ctx, pathResignedTransferCustomer, req.ExternalUserID, concurrency, func(chunk []string) any {
		r := *req
		r.ExternalUserID = chunk
		return &r
	}), nil
}

// transferMany sends the customers in calls of MaxTransferCustomers, the
// body of each built by body, and spreads WeCom's per-customer answers
// over the results.
func (s *Service) transferMany(ctx context.Context, path string, customers []string, concurrency int,
	body func(chunk []string) any) []wecom.BatchResult[string, struct{}] {
	return wecom.Batch(ctx, customers, MaxTransferCustomers, concurrency,
		func(ctx context.Context, chunk []string, out []wecom.BatchResult[string, struct{}]) error {
			res, err := s.transferCustomer(ctx, path, body(chunk))
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
		})
}

// TransferResultRequest asks for the handover state of the customers of an
// in-service member moved to another member.
type TransferResultRequest struct {
	HandoverUserID string `json:"handover_userid"`
	TakeoverUserID string `json:"takeover_userid"`
	Cursor         string `json:"cursor,omitempty"`
}

// ResignedTransferResultRequest asks for the handover state of the
// customers of a resigned member moved to another member.
type ResignedTransferResultRequest struct {
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

// TransferResultResponse is one page (at most 1000) of handover states.
type TransferResultResponse struct {
	Customer   []CustomerTransfer `json:"customer"`
	NextCursor string             `json:"next_cursor"` // "" on the last page
}

// ResignedTransferResultResponse is one page (at most 1000) of handover
// states.
type ResignedTransferResultResponse struct {
	Customer   []CustomerTransfer `json:"customer"`
	NextCursor string             `json:"next_cursor"` // "" on the last page
}

// TransferResult returns one page of the handover states of an in-service
// member's customers moved to a takeover member.
//
// WeCom API docs: https://developer.work.weixin.qq.com/document/path/94088
func (s *Service) TransferResult(ctx context.Context, req *TransferResultRequest) (*TransferResultResponse, error) {
	if req == nil {
		return nil, check.Invalidf("request is nil")
	}
	if err := api.FirstErr(check.Required("HandoverUserID", req.HandoverUserID), check.Required("TakeoverUserID", req.TakeoverUserID)); err != nil {
		return nil, err
	}
	var out TransferResultResponse
	if err := api.Read(ctx, s.c, "/cgi-bin/externalcontact/transfer_result", req, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// TransferResultIter yields every handover state TransferResult pages
// through, starting at req.Cursor. req is not modified.
//
// WeCom API docs: https://developer.work.weixin.qq.com/document/path/94088
func (s *Service) TransferResultIter(ctx context.Context, req *TransferResultRequest) iter.Seq2[*CustomerTransfer, error] {
	return api.Iter(ctx, req, s.TransferResult, func(r *TransferResultRequest) *string { return &r.Cursor },
		func(p *TransferResultResponse) ([]CustomerTransfer, string) { return p.Customer, p.NextCursor })
}

// ResignedTransferResult returns one page of the handover states of a
// resigned member's customers moved to a takeover member.
//
// WeCom API docs: https://developer.work.weixin.qq.com/document/path/94082
func (s *Service) ResignedTransferResult(ctx context.Context, req *ResignedTransferResultRequest) (*ResignedTransferResultResponse, error) {
	if req == nil {
		return nil, check.Invalidf("request is nil")
	}
	if err := api.FirstErr(check.Required("HandoverUserID", req.HandoverUserID), check.Required("TakeoverUserID", req.TakeoverUserID)); err != nil {
		return nil, err
	}
	var out ResignedTransferResultResponse
	if err := api.Read(ctx, s.c, "/cgi-bin/externalcontact/resigned/transfer_result", req, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// ResignedTransferResultIter yields every handover state
// ResignedTransferResult pages through, starting at req.Cursor. req is not
// modified.
//
// WeCom API docs: https://developer.work.weixin.qq.com/document/path/94082
func (s *Service) ResignedTransferResultIter(ctx context.Context, req *ResignedTransferResultRequest) iter.Seq2[*CustomerTransfer, error] {
	return api.Iter(ctx, req, s.ResignedTransferResult, func(r *ResignedTransferResultRequest) *string { return &r.Cursor },
		func(p *ResignedTransferResultResponse) ([]CustomerTransfer, string) { return p.Customer, p.NextCursor })
}

// maxUnassignedPageSize is the largest page of get_unassigned_list (also
// WeCom's default).
const maxUnassignedPageSize = 1000

// ListUnassignedRequest pages through resigned members' customers that have
// not been handed over yet.
type ListUnassignedRequest struct {
	Cursor string `json:"cursor,omitempty"`
	// PageSize is the page size: 0 for WeCom's default (1000), at most
	// 1000; a larger one is sent as 1000 (api.ClampLimit).
	PageSize int `json:"page_size,omitempty"`
}

// UnassignedCustomer is a resigned member's customer waiting for a new member.
type UnassignedCustomer struct {
	HandoverUserID string         `json:"handover_userid"`
	ExternalUserID string         `json:"external_userid"`
	DimissionTime  wecom.UnixTime `json:"dimission_time"`
}

// ListUnassignedResponse is one page of unassigned customers.
type ListUnassignedResponse struct {
	Info       []UnassignedCustomer `json:"info"`
	IsLast     bool                 `json:"is_last"`
	NextCursor string               `json:"next_cursor"`
}

// ListUnassigned returns one page of the customers of resigned members that
// still wait to be handed over. Resigned members with only groups are not
// listed. req may be nil.
//
// WeCom API docs: https://developer.work.weixin.qq.com/document/path/92124
func (s *Service) ListUnassigned(ctx context.Context, req *ListUnassignedRequest) (*ListUnassignedResponse, error) {
	var body ListUnassignedRequest
	if req != nil {
		body = *req
	}
	var err error
	if body.PageSize, err = api.ClampLimit(check, "PageSize", body.PageSize, maxUnassignedPageSize); err != nil {
		return nil, err
	}
	var out ListUnassignedResponse
	if err := api.Read(ctx, s.c, "/cgi-bin/externalcontact/get_unassigned_list", &body, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// ListUnassignedIter yields every unassigned customer, starting at req.Cursor.
// req may be nil and is not modified.
//
// WeCom API docs: https://developer.work.weixin.qq.com/document/path/92124
func (s *Service) ListUnassignedIter(ctx context.Context, req *ListUnassignedRequest) iter.Seq2[*UnassignedCustomer, error] {
	return api.Iter(ctx, req, s.ListUnassigned, func(r *ListUnassignedRequest) *string { return &r.Cursor },
		func(p *ListUnassignedResponse) ([]UnassignedCustomer, string) {
			if p.IsLast {
				return p.Info, ""
			}
			return p.Info, p.NextCursor
		})
}
