package groupchat

import (
	"context"

	"github.com/scrmkit/scrm/wecom"
)

// TransferRequest hands groups over to a new owner.
type TransferRequest struct {
	ChatIDList []string `json:"chat_id_list"` // 1 to 100 groups per call
	// NewOwner must have customer contact enabled, a verified real name, an
	// activated account, and have logged in within the last year.
	NewOwner string `json:"new_owner"`
}

// validateFields checks everything but the number of groups per call.
func (r *TransferRequest) validateFields() error {
	if len(r.ChatIDList) == 0 {
		return invalidf("ChatIDList is required")
	}
	return firstErr(required("NewOwner", r.NewOwner), noEmpty("ChatIDList", r.ChatIDList))
}

func (r *TransferRequest) validate() error {
	return firstErr(r.validateFields(), maxItems("ChatIDList", r.ChatIDList, MaxTransferChats))
}

// FailedChat is a group WeCom did not hand over, and why.
type FailedChat struct {
	ChatID  string `json:"chat_id"`
	Errcode int    `json:"errcode"`
	Errmsg  string `json:"errmsg"`
}

const (
	transferPath      = "/cgi-bin/externalcontact/groupchat/transfer"
	onjobTransferPath = "/cgi-bin/externalcontact/groupchat/onjob_transfer"
)

func (s *Service) transfer(ctx context.Context, path string, req *TransferRequest) ([]FailedChat, error) {
	if req == nil {
		return nil, invalidf("request is nil")
	}
	if err := req.validate(); err != nil {
		return nil, err
	}
	var out struct {
		FailedChatList []FailedChat `json:"failed_chat_list"`
	}
	if err := s.write(ctx, path, req, &out); err != nil {
		return nil, err
	}
	return out.FailedChatList, nil
}

// Transfer hands up to 100 groups whose owner has resigned (离职继承) to a
// new owner, effective at once. WeCom's answer lists only the groups it did
// not hand over (90500: the owner has not resigned; 90501: not a customer
// group; 90507: being inherited; 90508: already inherited); every other
// group of the call was handed over. One resigned owner's groups can go to
// a new owner at most 300 a day; the owner must have resigned within the
// last year. Not re-sent once it may have reached WeCom.
//
// WeCom API docs: https://developer.work.weixin.qq.com/document/path/92127
func (s *Service) Transfer(ctx context.Context, req *TransferRequest) ([]FailedChat, error) {
	return s.transfer(ctx, transferPath, req)
}

// OnjobTransfer hands up to 100 groups of an owner still in service (在职继承)
// to a new owner. Each group can be handed over at most twice in 90 days;
// one owner's groups at most 300 a day; 90502 for a group whose owner has
// resigned (use Transfer). The answer lists only the failures, as
// Transfer's does. Not re-sent once it may have reached WeCom.
//
// WeCom API docs: https://developer.work.weixin.qq.com/document/path/95703
func (s *Service) OnjobTransfer(ctx context.Context, req *TransferRequest) ([]FailedChat, error) {
	return s.transfer(ctx, onjobTransferPath, req)
}

// TransferMany hands any number of resigned owners' groups to
// req.NewOwner: req.ChatIDList is split into calls of 100, at most
// concurrency at a time (wecom.DefaultBatchConcurrency when <= 0). The
// result has one entry per group, in order. Its Err is nil when the group
// was handed over; a *wecom.Error with WeCom's per-group errcode when WeCom
// listed it as failed; or, when the call carrying it failed, that call's
// error. A call that may have reached WeCom without its answer arriving (a
// timeout, a dropped connection) leaves each of its groups with an error
// matching wecom.ErrOutcomeUnknown, which is not retryable: the group may
// have moved. Check with Get before sending it again. The error is for a
// request refused before anything is sent (ErrInvalidArgument).
//
// WeCom API docs: https://developer.work.weixin.qq.com/document/path/92127
func (s *Service) TransferMany(ctx context.Context, req *TransferRequest, concurrency int) ([]wecom.BatchResult[string, struct{}], error) {
	return s.transferMany(ctx, transferPath, req, concurrency)
}

// OnjobTransferMany is TransferMany for groups whose owner is in service.
//
// WeCom API docs: https://developer.work.weixin.qq.com/document/path/95703
func (s *Service) OnjobTransferMany(ctx context.Context, req *TransferRequest, concurrency int) ([]wecom.BatchResult[string, struct{}], error) {
	return s.transferMany(ctx, onjobTransferPath, req, concurrency)
}

func (s *Service) transferMany(ctx context.Context, path string, req *TransferRequest, concurrency int) ([]wecom.BatchResult[string, struct{}], error) {
	if req == nil {
		return nil, invalidf("request is nil")
	}
	if err := req.validateFields(); err != nil {
		return nil, err
	}
	return wecom.Batch(ctx, req.ChatIDList, MaxTransferChats, concurrency,
		func(ctx context.Context, chunk []string, out []wecom.BatchResult[string, struct{}]) error {
			r := *req
			r.ChatIDList = chunk
			failed, err := s.transfer(ctx, path, &r)
			if err != nil {
				return err // every group of the chunk gets it, ErrOutcomeUnknown included
			}
			byChat := make(map[string]FailedChat, len(failed))
			for _, f := range failed {
				byChat[f.ChatID] = f
			}
			for i := range out {
				if f, ok := byChat[out[i].Item]; ok {
					msg := f.Errmsg
					if msg == "" {
						msg = "group not handed over"
					}
					out[i].Err = &wecom.Error{Code: f.Errcode, Msg: msg, Path: path}
				}
			}
			return nil
		}), nil
}
