package message

import (
	"context"
	"slices"

	"github.com/scrmkit/scrm/wecom"
)

// Audience is whom a MassSend goes to. Set exactly one of:
//
//   - ExternalUserIDs (any number of customers), optionally with one Sender
//     who sends to all of them;
//   - Senders (members, each sending to all of his customers), optionally
//     narrowed by TagFilter;
//   - TagFilter alone (customers of any member, by tags);
//   - Groups (customer groups by the member who sends to them; a member
//     with no chat ids picks groups in the client).
type Audience struct {
	ExternalUserIDs []string
	Senders         []string
	TagFilter       *TagFilter
	Groups          map[string][]string // sender → chat ids
}

// MassSendRequest is one message for an audience of any size.
type MassSendRequest struct {
	Audience    Audience
	Text        *Text
	Attachments []Attachment
	AllowSelect bool // customer sends only
	// Concurrency bounds how many tasks are created at once
	// (wecom.DefaultBatchConcurrency when <= 0).
	Concurrency int
}

// MassSendTask is one task MassSend created or tried to create.
type MassSendTask struct {
	// Request is the task as sent: its sender and its customers or groups.
	Request *AddMsgTemplateRequest
	// MsgID and FailList are WeCom's answer when Err is nil.
	MsgID    string
	FailList []string
	// Err is why the task was not created. A *wecom.MaybeCreatedError (matching
	// wecom.ErrOutcomeUnknown) means it may have been: do not create it again
	// before listing the window it names.
	Err error
}

// Tasks splits the request into the fewest add_msg_template tasks within
// WeCom's limits: customers in tasks of 10,000 (duplicates dropped), one task
// per sender for Senders, one for a TagFilter, and each sender's groups in
// tasks of 2,000 (senders in sorted order). It makes no call.
func (r *MassSendRequest) Tasks() ([]*AddMsgTemplateRequest, error) {
	a := &r.Audience
	base := AddMsgTemplateRequest{Text: r.Text, Attachments: r.Attachments, AllowSelect: r.AllowSelect}
	var tasks []*AddMsgTemplateRequest
	add := func(edit func(t *AddMsgTemplateRequest)) {
		t := base
		edit(&t)
		tasks = append(tasks, &t)
	}
	switch {
	case len(a.Groups) > 0:
		if len(a.ExternalUserIDs) > 0 || len(a.Senders) > 0 || a.TagFilter != nil {
			return nil, check.Invalidf("Audience.Groups goes alone (a group send)")
		}
		if r.AllowSelect {
			return nil, check.Invalidf("AllowSelect applies to customer sends only")
		}
		senders := make([]string, 0, len(a.Groups))
		for sender := range a.Groups {
			senders = append(senders, sender)
		}
		slices.Sort(senders)
		for _, sender := range senders {
			if sender == "" {
				return nil, check.Invalidf("Audience.Groups has an empty sender")
			}
			chats := dedup(a.Groups[sender])
			if len(chats) == 0 {
				add(func(t *AddMsgTemplateRequest) { t.ChatType, t.Sender = ChatGroup, sender })
				continue
			}
			for chunk := range slices.Chunk(chats, MaxMassSendGroups) {
				add(func(t *AddMsgTemplateRequest) { t.ChatType, t.Sender, t.ChatIDList = ChatGroup, sender, chunk })
			}
		}
	case len(a.ExternalUserIDs) > 0:
		if a.TagFilter != nil {
			return nil, check.Invalidf("Audience.TagFilter cannot narrow ExternalUserIDs (WeCom ignores it)")
		}
		if len(a.Senders) > 1 {
			return nil, check.Invalidf("Audience.ExternalUserIDs takes at most one sender, got %d", len(a.Senders))
		}
		sender := ""
		if len(a.Senders) == 1 {
			sender = a.Senders[0]
		}
		for chunk := range slices.Chunk(dedup(a.ExternalUserIDs), MaxMassSendCustomers) {
			add(func(t *AddMsgTemplateRequest) { t.ChatType, t.Sender, t.ExternalUserID = ChatSingle, sender, chunk })
		}
	case len(a.Senders) > 0:
		for _, sender := range dedup(a.Senders) {
			add(func(t *AddMsgTemplateRequest) { t.ChatType, t.Sender, t.TagFilter = ChatSingle, sender, a.TagFilter })
		}
	case a.TagFilter != nil:
		add(func(t *AddMsgTemplateRequest) { t.ChatType, t.TagFilter = ChatSingle, a.TagFilter })
	default:
		return nil, check.Invalidf("the Audience is empty")
	}
	for _, t := range tasks {
		if err := t.validate(); err != nil {
			return nil, err
		}
	}
	return tasks, nil
}

// dedup returns v without empty strings and repeats, in first-seen order.
func dedup(v []string) []string {
	seen := make(map[string]struct{}, len(v))
	out := make([]string, 0, len(v))
	for _, s := range v {
		if _, dup := seen[s]; s == "" || dup {
			continue
		}
		seen[s] = struct{}{}
		out = append(out, s)
	}
	return out
}

// MassSend sends one message to an audience of any size: it splits it into
// the fewest tasks WeCom's limits allow (see MassSendRequest.Tasks) and
// creates them, at most req.Concurrency at a time under the client's rate
// limiter. It returns one MassSendTask per task, in order; a task that fails
// does not stop the others. The error is for a request refused before
// anything was sent (ErrInvalidArgument).
//
// Each task is created once: a task whose Err matches
// wecom.ErrOutcomeUnknown may exist; list its window before retrying it.
// Senders must confirm each task in the client; MassSendResults follows them.
//
// WeCom API docs: https://developer.work.weixin.qq.com/document/path/92135
func (s *Service) MassSend(ctx context.Context, req *MassSendRequest) ([]MassSendTask, error) {
	if req == nil {
		return nil, check.Invalidf("request is nil")
	}
	tasks, err := req.Tasks()
	if err != nil {
		return nil, err
	}
	res := wecom.Batch(ctx, tasks, 1, req.Concurrency,
		func(ctx context.Context, chunk []*AddMsgTemplateRequest, out []wecom.BatchResult[*AddMsgTemplateRequest, *AddMsgTemplateResponse]) error {
			resp, err := s.AddMsgTemplate(ctx, chunk[0])
			out[0].Value = resp
			return err
		})
	out := make([]MassSendTask, len(res))
	for i, r := range res {
		out[i] = MassSendTask{Request: r.Item, Err: r.Err}
		if r.Err == nil && r.Value != nil {
			out[i].MsgID, out[i].FailList = r.Value.MsgID, r.Value.FailList
		}
	}
	return out, nil
}
