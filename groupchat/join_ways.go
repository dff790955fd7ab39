package groupchat

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/scrmkit/scrm/internal/api"
)

// JoinWayScene is where a join way 「加入群聊」 is offered.
type JoinWayScene int

// Join way scenes.
const (
	SceneMiniProgram JoinWayScene = 1 // a button in a mini program (needs WeCom's mini-program plugin)
	SceneQRCode      JoinWayScene = 2 // a group QR code
)

// AddJoinWayRequest configures a join way 「加入群聊」: a QR code or
// mini-program button that drops customers into one of up to five groups.
// Customers who join through it carry its State in Member.State.
type AddJoinWayRequest struct {
	Scene  JoinWayScene `json:"scene"`
	Remark string       `json:"remark,omitempty"` // at most 30 characters
	// AutoCreateRoom says whether WeCom opens a new group when the ones in
	// ChatIDList are full: nil leaves WeCom's default, yes
	// (wecom.Ptr(false) turns it off). It is sent as auto_create_room 0 or 1.
	AutoCreateRoom *bool `json:"-"`
	// RoomBaseName and RoomBaseID name the groups WeCom opens: "Sales" and
	// 10 give "Sales10", "Sales11", ... Only with AutoCreateRoom on; the
	// name is at most 40 characters. A RoomBaseID of 0 is not sent.
	RoomBaseName string `json:"room_base_name,omitempty"`
	RoomBaseID   int    `json:"room_base_id,omitempty"`
	// ChatIDList holds the groups, 1 to 5 (41091 beyond).
	ChatIDList []string `json:"chat_id_list"`
	// State tells this join way's members apart (Member.State): at most 30
	// characters.
	State string `json:"state,omitempty"`
	// MarkSource: nil leaves WeCom's default, true (mark the customers'
	// source as this app's join way; wecom.Ptr(false) does not); effective
	// for marketing (营销获客) apps only, and only the app that created the
	// way may change it.
	MarkSource *bool `json:"mark_source,omitempty"`
}

func (r *AddJoinWayRequest) validate() error {
	if r.Scene != SceneMiniProgram && r.Scene != SceneQRCode {
		return check.Invalidf("Scene is %d; want SceneMiniProgram or SceneQRCode", r.Scene)
	}
	if len(r.ChatIDList) == 0 {
		return check.Invalidf("ChatIDList is required (1 to %d groups)", maxJoinWayChats)
	}
	if r.AutoCreateRoom != nil && !*r.AutoCreateRoom && (r.RoomBaseName != "" || r.RoomBaseID != 0) {
		return check.Invalidf("RoomBaseName and RoomBaseID apply only when AutoCreateRoom is on")
	}
	if r.RoomBaseID < 0 {
		return check.Invalidf("RoomBaseID is %d; want 0 or more", r.RoomBaseID)
	}
	return api.FirstErr(
		api.MaxItems(check, "ChatIDList", r.ChatIDList, maxJoinWayChats),
		noEmpty("ChatIDList", r.ChatIDList),
		check.MaxChars("Remark", r.Remark, maxRemarkLen),
		check.MaxChars("RoomBaseName", r.RoomBaseName, maxRoomBaseNameLen),
		check.MaxChars("State", r.State, maxStateLen),
	)
}

// addJoinWayBody is the request as sent: AutoCreateRoom spelled 0 or 1.
type addJoinWayBody struct {
	*AddJoinWayRequest
	AutoCreateRoom *int `json:"auto_create_room,omitempty"`
}

// AddJoinWay creates a join way and returns its config id, the only handle
// to read, change or delete it (join ways made through the API do not show
// in the admin console; a corp has 500,000 of them and of 「联系我」 contact
// ways together). It is never re-sent once it may have reached WeCom: such
// an error is a *wecom.MaybeCreatedError (matching
// wecom.ErrOutcomeUnknown). WeCom has no call that lists join ways, so a way
// created then cannot be found by its id: create it again with another
// state, and treat joins carrying the old one as coming through it.
//
// WeCom API docs: https://developer.work.weixin.qq.com/document/path/92229
func (s *Service) AddJoinWay(ctx context.Context, req *AddJoinWayRequest) (string, error) {
	if req == nil {
		return "", check.Invalidf("request is nil")
	}
	if err := req.validate(); err != nil {
		return "", err
	}
	var out struct {
		ConfigID string `json:"config_id"`
	}
	body := addJoinWayBody{AddJoinWayRequest: req, AutoCreateRoom: boolInt(req.AutoCreateRoom)}
	err := api.Create(ctx, s.c, "/cgi-bin/externalcontact/groupchat/add_join_way", body, &out, func(since, until time.Time) string {
		return fmt.Sprintf("WeCom has no call listing join ways: a way made %s cannot be looked up by its config_id; "+
			"create one with another state and treat joins with state %q as coming through the lost one", api.Window(since, until), req.State)
	})
	if err != nil {
		return "", err
	}
	return out.ConfigID, nil
}

// JoinWay is a configured join way as get_join_way returns it.
type JoinWay struct {
	ConfigID       string       `json:"config_id"`
	Scene          JoinWayScene `json:"scene"`
	Remark         string       `json:"remark"`
	AutoCreateRoom bool         `json:"-"` // sent by WeCom as auto_create_room 0 or 1
	RoomBaseName   string       `json:"room_base_name"`
	RoomBaseID     int          `json:"room_base_id"`
	ChatIDList     []string     `json:"chat_id_list"`
	QRCode         string       `json:"qr_code,omitempty"` // SceneQRCode only
	State          string       `json:"state"`
	// MarkSource is shown in the example answer of the current docs; nil
	// when WeCom leaves it out.
	MarkSource *bool `json:"mark_source,omitempty"`
}

// UnmarshalJSON decodes WeCom's join_way object, auto_create_room 0/1 into
// AutoCreateRoom.
func (w *JoinWay) UnmarshalJSON(b []byte) error {
	type plain JoinWay
	aux := struct {
		*plain
		AutoCreateRoom int `json:"auto_create_room"`
	}{plain: (*plain)(w)}
	if err := json.Unmarshal(b, &aux); err != nil {
		return err
	}
	w.AutoCreateRoom = aux.AutoCreateRoom == 1
	return nil
}

// MarshalJSON encodes w as WeCom does, AutoCreateRoom as 0 or 1.
func (w JoinWay) MarshalJSON() ([]byte, error) {
	type plain JoinWay
	return json.Marshal(struct {
		plain
		AutoCreateRoom int `json:"auto_create_room"`
	}{plain: plain(w), AutoCreateRoom: *boolInt(&w.AutoCreateRoom)})
}

type configIDBody struct {
	ConfigID string `json:"config_id"`
}

// GetJoinWay returns a join way this app created. An unknown config id is
// an error for which IsNotFound is true.
//
// WeCom API docs: https://developer.work.weixin.qq.com/document/path/92229
func (s *Service) GetJoinWay(ctx context.Context, configID string) (*JoinWay, error) {
	if err := check.Required("configID", configID); err != nil {
		return nil, err
	}
	var out struct {
		JoinWay JoinWay `json:"join_way"`
	}
	if err := api.Read(ctx, s.c, "/cgi-bin/externalcontact/groupchat/get_join_way", configIDBody{configID}, &out); err != nil {
		return nil, err
	}
	return &out.JoinWay, nil
}

// UpdateJoinWayRequest replaces a join way's whole configuration: WeCom
// overwrites every field, so a field left unset does not keep its current
// value but returns to its default (Remark and State empty, AutoCreateRoom
// and MarkSource on). Send the full configuration you want; GetJoinWay
// gives the current one.
type UpdateJoinWayRequest struct {
	ConfigID string `json:"config_id"`
	AddJoinWayRequest
}

type updateJoinWayBody struct {
	*UpdateJoinWayRequest
	AutoCreateRoom *int `json:"auto_create_room,omitempty"`
}

// UpdateJoinWay overwrites a join way's configuration with req (see
// UpdateJoinWayRequest: fields not set return to their defaults).
//
// WeCom API docs: https://developer.work.weixin.qq.com/document/path/92229
func (s *Service) UpdateJoinWay(ctx context.Context, req *UpdateJoinWayRequest) error {
	if req == nil {
		return check.Invalidf("request is nil")
	}
	if err := api.FirstErr(check.Required("ConfigID", req.ConfigID), req.AddJoinWayRequest.validate()); err != nil {
		return err
	}
	body := updateJoinWayBody{UpdateJoinWayRequest: req, AutoCreateRoom: boolInt(req.AutoCreateRoom)}
	return api.Idempotent(ctx, s.c, "/cgi-bin/externalcontact/groupchat/update_join_way", body, nil)
}

// DelJoinWay deletes a join way. The client repeats it after a failure in
// transit; when the first attempt had already deleted it, the repetition
// fails with errcode 41044: an error for which IsNotFound is true means it
// is gone.
//
// WeCom API docs: https://developer.work.weixin.qq.com/document/path/92229
func (s *Service) DelJoinWay(ctx context.Context, configID string) error {
	if err := check.Required("configID", configID); err != nil {
		return err
	}
	return api.Idempotent(ctx, s.c, "/cgi-bin/externalcontact/groupchat/del_join_way", configIDBody{configID}, nil)
}
