package message

import (
	"context"
	"fmt"
	"time"

	"github.com/scrmkit/scrm/internal/api"
)

// Documented limits of add_msg_template: the recipients of one task, by
// which MassSend splits an audience.
const (
	// MaxMassSendCustomers is the most external_userids one task names.
	MaxMassSendCustomers = 10_000
	// MaxMassSendGroups is the most chat_ids one task names.
	MaxMassSendGroups = 2_000
)

// maxTagsPerFilterGroup is the most tags one group of a TagFilter holds.
const maxTagsPerFilterGroup = 100

// ChatType says whom a mass send goes to.
type ChatType string

const (
	ChatSingle ChatType = "single" // customers (WeCom's default)
	ChatGroup  ChatType = "group"  // customer groups
)

// TagFilter selects customers by corp or rule-group tags: a customer is
// selected when, in every group of GroupList, it has at least one of the
// group's tags (OR inside a group, AND across groups).
type TagFilter struct {
	GroupList []TagFilterGroup `json:"group_list"`
}

// TagFilterGroup is one group of a TagFilter: at most 100 tag ids.
type TagFilterGroup struct {
	TagList []string `json:"tag_list"`
}

// AnyTag is a TagFilter selecting customers with at least one of tagIDs.
func AnyTag(tagIDs ...string) *TagFilter {
	return &TagFilter{GroupList: []TagFilterGroup{{TagList: tagIDs}}}
}

func (f *TagFilter) validate() error {
	if len(f.GroupList) == 0 {
		return check.Invalidf("TagFilter.GroupList is empty")
	}
	for i, g := range f.GroupList {
		if len(g.TagList) == 0 {
			return check.Invalidf("TagFilter.GroupList[%d] has no tags", i)
		}
		if len(g.TagList) > maxTagsPerFilterGroup {
			return check.Invalidf("TagFilter.GroupList[%d] has %d tags; WeCom allows at most %d", i, len(g.TagList), maxTagsPerFilterGroup)
		}
	}
	return nil
}

// AddMsgTemplateRequest creates one mass-send task. Nothing is sent until
// each sender confirms in the WeCom client.
//
// For customers (ChatSingle): ExternalUserID names the customers (each gets
// it from Sender if set, else from the member who last chatted with them);
// Sender alone means all of Sender's customers; TagFilter narrows Sender's
// customers, or without Sender selects from every member's. For groups
// (ChatGroup): Sender (required) sends to ChatIDList, or picks groups in
// the client when it is empty.
type AddMsgTemplateRequest struct {
	ChatType       ChatType   `json:"chat_type,omitempty"`
	ExternalUserID []string   `json:"external_userid,omitempty"` // ChatSingle; at most 10,000
	ChatIDList     []string   `json:"chat_id_list,omitempty"`    // ChatGroup; at most 2,000
	TagFilter      *TagFilter `json:"tag_filter,omitempty"`      // ChatSingle; not with ExternalUserID
	Sender         string     `json:"sender,omitempty"`
	// AllowSelect lets the sender change the selected customers before
	// sending (customer sends only).
	AllowSelect bool         `json:"allow_select,omitempty"`
	Text        *Text        `json:"text,omitempty"` // at most 4000 bytes
	Attachments []Attachment `json:"attachments,omitempty"`
}

func (r *AddMsgTemplateRequest) validate() error {
	switch r.ChatType {
	case "", ChatSingle:
		if len(r.ChatIDList) > 0 {
			return check.Invalidf("ChatIDList is for ChatGroup sends only")
		}
		if r.Sender == "" && len(r.ExternalUserID) == 0 && r.TagFilter == nil {
			return check.Invalidf("a customer send needs Sender, ExternalUserID or TagFilter")
		}
		if len(r.ExternalUserID) > 0 && r.TagFilter != nil {
			return check.Invalidf("WeCom ignores TagFilter when ExternalUserID is set; give one of them")
		}
	case ChatGroup:
		if r.Sender == "" {
			return check.Invalidf("a group send needs Sender")
		}
		// WeCom ignores these in a group send (92135): refused here, as a
		// caller setting them expects them to select something.
		if len(r.ExternalUserID) > 0 || r.TagFilter != nil {
			return check.Invalidf("ExternalUserID and TagFilter are for ChatSingle sends only; WeCom ignores them in a group send")
		}
		if r.AllowSelect {
			return check.Invalidf("AllowSelect applies to customer sends only; WeCom ignores it in a group send")
		}
	default:
		return check.Invalidf("ChatType is %q; want ChatSingle or ChatGroup", r.ChatType)
	}
	if r.Text == nil && len(r.Attachments) == 0 {
		return check.Invalidf("a mass send needs Text or Attachments")
	}
	if r.TagFilter != nil {
		if err := r.TagFilter.validate(); err != nil {
			return err
		}
	}
	return api.FirstErr(api.MaxItems(check, "ExternalUserID", r.ExternalUserID, MaxMassSendCustomers),
		api.MaxItems(check, "ChatIDList", r.ChatIDList, MaxMassSendGroups),
		validateText(r.Text, maxTextBytes), validateAttachments(r.Attachments, true))
}

// AddMsgTemplateResponse is the created task.
type AddMsgTemplateResponse struct {
	// FailList names the customers (or groups) that are invalid or cannot
	// receive it.
	FailList []string `json:"fail_list"`
	// MsgID identifies the task for the result, cancel and remind calls.
	MsgID string `json:"msgid"`
}

// AddMsgTemplate creates a mass-send task (创建企业群发) and notifies its
// senders. Since 2025-11 a customer or customer group receives at most as
// many mass sends a month as the month has days (the admin can set 7 a week
// or 1 a day instead); beyond that they silently do not receive it, which
// GetGroupMsgSendResult reports as SendQuotaReached.
//
// It is never re-sent once it may have reached WeCom: such an error is a
// *wecom.MaybeCreatedError (matching wecom.ErrOutcomeUnknown); list the window it
// names with ListGroupMsgsIter before creating the task again. Attachments
// of files are uploaded (or found in the MediaCache) first: see
// Attachment. The media ids must still be alive when the senders confirm;
// for a task confirmed days later, give the MediaCache a larger margin
// (wecom.WithRefreshMargin).
//
// WeCom API docs: https://developer.work.weixin.qq.com/document/path/92135
func (s *Service) AddMsgTemplate(ctx context.Context, req *AddMsgTemplateRequest) (*AddMsgTemplateResponse, error) {
	if req == nil {
		return nil, check.Invalidf("request is nil")
	}
	if err := req.validate(); err != nil {
		return nil, err
	}
	chatType := req.ChatType
	if chatType == "" {
		chatType = ChatSingle
	}
	var out AddMsgTemplateResponse
	body := req
	atts, refs := attachmentsToSend(req.Attachments)
	if refs != nil {
		c := *req
		c.Attachments = atts
		body = &c
	}
	err := api.SendMedia(ctx, s.c, s.media, refs, func() error {
		return api.Create(ctx, s.c, "/cgi-bin/externalcontact/add_msg_template", body, &out, func(since, until time.Time) string {
			return fmt.Sprintf("list get_groupmsg_list_v2 (ListGroupMsgsIter) with chat_type=%s filter_type=0 %s", chatType, api.Window(since, until))
		})
	})
	if err != nil {
		return nil, err
	}
	return &out, nil
}
