package groupchat

import (
	"context"

	"github.com/scrmkit/scrm/internal/api"
	"github.com/scrmkit/scrm/wecom"
)

// TransferRequest hands groups whose owner has resigned (离职继承) over to a
// new owner.
type TransferRequest struct {
	// ChatIDList holds the groups: 1 to MaxTransferChats per Transfer call,
	// any number for TransferMany.
	ChatIDList []string `json:"chat_id_list"`
	// NewOwner must have customer contact enabled, a verified real name, an
	// activated account, and have logged in within the last year.
	NewOwner string `json:"new_owner"`
}

// OnjobTransferRequest hands groups whose owner is still in service (在职继承)
// over to a new owner.
type OnjobTransferRequest struct {
	// ChatIDList holds the groups: 1 to MaxTransferChats per OnjobTransfer
	// call, any number for OnjobTransferMany.
	ChatIDList []string `json:"chat_id_list"`
	// NewOwner must have customer contact enabled, a verified real name, an
	// activated account, and have logged in within the last year.
	NewOwner string `json:"new_owner"`
}

// transferBody is either request as sent.
type transferBody struct {
	ChatIDList []string `json:"chat_id_list"`
	NewOwner   string   `json:"new_owner"`
}

// validateFields checks everything but the number of groups per call.
func (b *transferBody) validateFields() error {
	if len(b.ChatIDList) == 0 {
		return check.Invalidf("ChatIDList is required")
	}
	return api.FirstErr(check.Required("NewOwner", b.NewOwner), noEmpty("ChatIDList", b.ChatIDList))
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

func (s *Service) transfer(ctx context.Context, path string, b *transferBody) ([]FailedChat, error) {
	if err := api.FirstErr(b.validateFields(), api.MaxItems(check, "ChatIDList", b.ChatIDList, MaxTransferChats)); err != nil {
		return nil, err
	}
	var out struct {
		FailedChatList []FailedChat `json:"failed_chat_list"`
	}
	if err := api.Write(ctx, s.c, path, b, &out); err != nil {
		return nil, err
	}
	return out.FailedChatList, nil
}

// Transfer hands up to MaxTransferChats (100) groups whose owner has
// resigned (离职继承) to a new owner, effective at once. WeCom's answer lists
// only the groups it did not hand over (90500: the owner has not resigned;
// 90501: not a customer group; 90507: being inherited; 90508: already
// inherited); every other group of the call was handed over. One resigned
// owner's groups can go to a new owner at most 300 a day; the owner must
// have resigned within the last year. Not re-sent once it may have reached
// WeCom.
//
// WeCom API docs: https://developer.work.weixin.qq.com/document/path/92127
func (s *Service) Transfer(ctx context.Context, req *TransferRequest) ([]FailedChat, error) {
	if req == nil {
		return nil, check.Invalidf("request is nil")
	}
	return s.transfer(ctx, transferPath, (*transferBody)(req))
}

// OnjobTransfer hands up to MaxTransferChats (100) groups of an owner still
// in service (在职继承) to a new owner. Each group can be handed over at most
// twice in 90 days; one owner's groups at most 300 a day; 90502 for a group
// whose owner has resigned (use Transfer). The answer lists only the
// failures, as Transfer's does. Not re-sent once it may have reached WeCom.
//
// WeCom API docs: https://developer.work.weixin.qq.com/document/path/95703
func (s *Service) OnjobTransfer(ctx context.Context, req *OnjobTransferRequest) ([]FailedChat, error) {
	if req == nil {
		return nil, check.Invalidf("request is nil")
	}
	return s.transfer(ctx, onjobTransferPath, (*transferBody)(req))
}

// TransferMany hands any number of resigned owners' groups to
// in.NewOwner: in.ChatIDList is split into calls of MaxTransferChats, at
// most concurrency at a time (wecom.DefaultBatchConcurrency when <= 0).
// The result has one entry per group, in order. Its Err is nil when the
// group was handed over; a *wecom.Error with WeCom's per-group errcode when
// WeCom listed it as failed; or, when the call carrying it failed, that
// call's error. A call that may have reached WeCom without its answer
// arriving (a timeout, a dropped connection) leaves each of its groups with
// an error matching wecom.ErrOutcomeUnknown, which is not retryable: the
// group may have moved. Check with Get before sending it again. The error
// is for a request refused before anything is sent (ErrInvalidArgument);
// the results are nil then.
//
// WeCom API docs: https://developer.work.weixin.qq.com/document/path/92127
func (s *Service) TransferMany(ctx context.Context, in *TransferRequest, concurrency int) ([]wecom.BatchResult[string, struct{}], error) {
	if in == nil {
		return nil, check.Invalidf("request is nil")
	}
	return s.transferMany(ctx, transferPath, (*transferBody)(in), concurrency)
}

// OnjobTransferMany is TransferMany for groups whose owner is in service
// (OnjobTransfer, in calls of MaxTransferChats).
//
// WeCom API docs: https://developer.work.weixin.qq.com/document/path/95703
func (s *Service) OnjobTransferMany(ctx context.Context, in *OnjobTransferRequest, concurrency int) ([]wecom.BatchResult[string, struct{}], error) {
	if in == nil {
		return nil, check.Invalidf("request is nil")
	}
	return s.transferMany(ctx, onjobTransferPath, (*transferBody)(in), concurrency)
}

func (s *Service) transferMany(ctx context.Context, path string, in *transferBody, concurrency int) ([]wecom.BatchResult[string, struct{}], error) {
	if err := in.validateFields(); err != nil {
		return nil, err
	}
	return wecom.Batch(ctx, in.ChatIDList, MaxTransferChats, concurrency,
		func(ctx context.Context, chunk []string, out []wecom.BatchResult[string, struct{}]) error {
			failed, err := s.transfer(ctx, path, &transferBody{ChatIDList: chunk, NewOwner: in.NewOwner})
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
