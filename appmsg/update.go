package appmsg

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"time"

	"github.com/scrmkit/scrm/internal/api"
	"github.com/scrmkit/scrm/internal/kv"
	"github.com/scrmkit/scrm/wecom"
)

// responseCodeLife is how long WeCom takes a response_code: 72 hours
// from when it was issued (94888, updated 2025-07-24; older copies of the
// page said 24 hours).
const responseCodeLife = 72 * time.Hour

// ErrResponseCodeUsed is matched by the error of UpdateTemplateCard for a
// response code this client's Store has seen used: WeCom takes each code
// once. A member's next press of the card brings a new one.
var ErrResponseCodeUsed = errors.New("appmsg: response code already used: WeCom takes each response_code once")

// ErrResponseCodeExpired is matched by the error of UpdateTemplateCard for
// a response code issued 72 hours ago or more: WeCom no longer takes it.
var ErrResponseCodeExpired = errors.New("appmsg: response code expired: WeCom takes a response_code for 72 hours after it was issued")

// codeError is a refused response code: it matches its sentinel and
// ErrInvalidArgument (nothing was sent).
type codeError struct {
	sentinel error
	msg      string
}

func (e *codeError) Error() string { return e.msg }
func (e *codeError) Is(target error) bool {
	return target == e.sentinel || target == ErrInvalidArgument
}

// UpdateTemplateCardRequest updates template cards the app sent, through a
// response code: the one Send answered for an interaction card, or the one
// a template_card_event carried. Name whom to update: members (UserIDs, at
// most MaxUsers), departments (PartyIDs, MaxParties), tags (TagIDs,
// MaxTags), or every recipient of the card (AtAll). Give exactly one of
// ReplaceName (the buttons of a button, vote or multiple-choice card turn
// unclickable and read it) and TemplateCard (the card is replaced by this
// one; any card type, and ReplaceText and the Disable flags apply).
type UpdateTemplateCardRequest struct {
	UserIDs  []string
	PartyIDs []int
	TagIDs   []int
	AtAll    bool

	// ResponseCode is required: it is spent by the call.
	ResponseCode string
	// IssuedAt is when the code was issued: the event's time
	// (TemplateCardEvent.Time()) for a code from a callback. Zero: the
	// time this client's Store recorded when Send answered the code; a
	// code issued elsewhere is then sent unchecked and WeCom decides.
	IssuedAt time.Time

	ReplaceName  string
	TemplateCard *TemplateCard
}

// UpdateTemplateCardResponse is WeCom's answer: the members it did not
// update, when it lists any.
type UpdateTemplateCardResponse struct {
	InvalidUsers []string
}

type updateButton struct {
	ReplaceName string `json:"replace_name"`
}

type updateBody struct {
	UserIDs      []string      `json:"userids,omitempty"`
	PartyIDs     []int         `json:"partyids,omitempty"`
	TagIDs       []int         `json:"tagids,omitempty"`
	AtAll        int           `json:"atall,omitempty"`
	AgentID      int           `json:"agentid"`
	ResponseCode string        `json:"response_code"`
	Button       *updateButton `json:"button,omitempty"`
	TemplateCard *TemplateCard `json:"template_card,omitempty"`
}

// UpdateTemplateCard updates template cards through a response code, with
// the rules of the code enforced before anything is sent: each code works
// once (a code this client's Store has seen used is refused with
// ErrResponseCodeUsed), and for 72 hours after it was issued (older:
// ErrResponseCodeExpired). Both errors match ErrInvalidArgument; nothing
// was sent. Only button_interaction, vote_interaction and
// multiple_interaction cards, and notice cards with an ActionMenu, can be
// updated.
//
// The code is marked used in the client's Store before the call (give
// every instance the same Store to share the marks); a call WeCom answered
// with an errcode, or that did not reach WeCom, gives it back. A call that
// may have reached WeCom keeps it spent and is never re-sent (the error
// matches wecom.ErrOutcomeUnknown): WeCom may have spent the code.
//
// A new card's attachment given as a file (CardHorizontalContent.Upload)
// is sent with the media id the MediaCache holds for it (see
// Service.MediaCache).
//
// To update only the member who pressed a button, within WeCom's 5 seconds,
// answer the push instead: callback.TemplateCardEvent.ReplyButton needs no
// code.
//
// WeCom API docs: https://developer.work.weixin.qq.com/document/path/94888
func (s *Service) UpdateTemplateCard(ctx context.Context, req *UpdateTemplateCardRequest) (*UpdateTemplateCardResponse, error) {
	if req == nil {
		return nil, check.Invalidf("request is nil")
	}
	if err := check.Required("ResponseCode", req.ResponseCode); err != nil {
		return nil, err
	}
	if !req.AtAll && len(req.UserIDs)+len(req.PartyIDs)+len(req.TagIDs) == 0 {
		return nil, check.Invalidf("name whose cards to update: UserIDs, PartyIDs, TagIDs or AtAll")
	}
	if err := api.FirstErr(api.MaxItems(check, "UserIDs", req.UserIDs, MaxUsers),
		api.MaxItems(check, "PartyIDs", req.PartyIDs, MaxParties),
		api.MaxItems(check, "TagIDs", req.TagIDs, MaxTags)); err != nil {
		return nil, err
	}
	switch {
	case (req.ReplaceName == "") == (req.TemplateCard == nil):
		return nil, check.Invalidf("give exactly one of ReplaceName (grey the buttons out) and TemplateCard (a new card)")
	case req.TemplateCard != nil:
		if err := req.TemplateCard.check(); err != nil {
			return nil, err
		}
	}
	agentID, err := s.c.AgentID(ctx)
	if err != nil {
		return nil, err
	}
	body := updateBody{UserIDs: req.UserIDs, PartyIDs: req.PartyIDs, TagIDs: req.TagIDs, AgentID: agentID,
		ResponseCode: req.ResponseCode, TemplateCard: req.TemplateCard}
	if req.AtAll {
		body.AtAll = 1
	}
	if req.ReplaceName != "" {
		body.Button = &updateButton{ReplaceName: req.ReplaceName}
	}

	codes := s.codes()
	release, err := codes.claim(ctx, req.ResponseCode, req.IssuedAt, s.c.Now())
	if err != nil {
		return nil, err
	}
	var out struct {
		InvalidUser idList `json:"invaliduser"`
	}
	var refs []api.MediaRef
	if body.TemplateCard != nil {
		body.TemplateCard, refs = body.TemplateCard.toSend()
	}
	err = api.SendMedia(ctx, s.c, s.media, refs, func() error {
		return api.Write(ctx, s.c, "/cgi-bin/message/update_template_card", body, &out)
	})
	if err != nil {
		if !errors.Is(err, wecom.ErrOutcomeUnknown) {
			release()
		}
		return nil, err
	}
	return &UpdateTemplateCardResponse{InvalidUsers: out.InvalidUser}, nil
}

// codeBook records, in the client's Store, when response codes were issued
// and which were used. Keys hold a hash of the code, never the code.
type codeBook struct {
	store  wecom.Store
	corpID string
}

func (s *Service) codes() codeBook { return codeBook{store: s.c.Store(), corpID: s.c.CorpID()} }

// codeRecord is what the Store keeps for one response code.
type codeRecord struct {
	Issued int64 `json:"issued,omitempty"` // unix seconds; 0 unknown
	Used   bool  `json:"used,omitempty"`
}

func (b codeBook) key(code string) string {
	sum := sha256.Sum256([]byte(code))
	return "scrm:appmsg:response_code:" + b.corpID + ":" + hex.EncodeToString(sum[:16])
}

// issued records that code was issued at t (Send's answer).
func (b codeBook) issued(ctx context.Context, code string, t time.Time) error {
	return kv.UpdateJSON(ctx, b.store, b.key(code), responseCodeLife, func(cur codeRecord, _ bool) (*codeRecord, error) {
		if cur.Issued == 0 {
			cur.Issued = t.Unix()
		}
		return &cur, nil
	})
}

// claim marks code used, refusing one used already or expired (issued at
// issuedAt, or when recorded). release gives the code back.
func (b codeBook) claim(ctx context.Context, code string, issuedAt, now time.Time) (release func(), err error) {
	key := b.key(code)
	var before codeRecord
	var existed bool
	err = kv.UpdateJSON(ctx, b.store, key, responseCodeLife, func(cur codeRecord, ok bool) (*codeRecord, error) {
		before, existed = cur, ok
		if cur.Used {
			return nil, &codeError{sentinel: ErrResponseCodeUsed, msg: ErrResponseCodeUsed.Error() +
				" (this Store marked it used; a member's next press of the card brings a new code, or update through the passive reply)"}
		}
		issued := cur.Issued
		if !issuedAt.IsZero() {
			issued = issuedAt.Unix()
		}
		if issued != 0 {
			at := time.Unix(issued, 0)
			if age := now.Sub(at); age >= responseCodeLife {
				return nil, &codeError{sentinel: ErrResponseCodeExpired, msg: fmt.Sprintf("%v (issued %s, %s ago); nothing was sent",
					ErrResponseCodeExpired, at.UTC().Format(time.RFC3339), age.Round(time.Minute))}
			}
		}
		return &codeRecord{Issued: issued, Used: true}, nil
	})
	if err != nil {
		var ce *codeError
		if errors.As(err, &ce) {
			return nil, err
		}
		return nil, fmt.Errorf("appmsg: recording the response code's use in the Store failed, nothing was sent: %w", err)
	}
	return func() {
		// A background context: the code must be given back even when
		// the call's ctx ended.
		ctx := context.WithoutCancel(ctx)
		_ = kv.UpdateJSON(ctx, b.store, key, responseCodeLife, func(cur codeRecord, _ bool) (*codeRecord, error) {
			if !existed {
				return nil, nil
			}
			cur.Used = before.Used
			return &cur, nil
		})
	}, nil
}
