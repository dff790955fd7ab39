package appmsg

import (
	"fmt"

	"github.com/scrmkit/scrm/internal/api"
	"github.com/scrmkit/scrm/wecom"
)

// CardType is a template card's card_type.
type CardType string

// The five card types.
const (
	// CardTextNotice is a text notice (文本通知型): a title or SubTitleText,
	// with CardAction required.
	CardTextNotice CardType = "text_notice"
	// CardNewsNotice is a news notice (图文展示型): a CardImage or an
	// ImageTextArea, with CardAction required.
	CardNewsNotice CardType = "news_notice"
	// CardButtonInteraction is a card with buttons (按钮交互型): TaskID and
	// ButtonList required; a press comes back as a template_card_event.
	CardButtonInteraction CardType = "button_interaction"
	// CardVoteInteraction is a vote (投票选择型): TaskID, Checkbox and
	// SubmitButton required.
	CardVoteInteraction CardType = "vote_interaction"
	// CardMultipleInteraction is a multiple-choice card (多项选择型): TaskID,
	// SelectList and SubmitButton required.
	CardMultipleInteraction CardType = "multiple_interaction"
)

// TemplateCard is a template card (模板卡片消息). WeCom's card is one flat
// object whose card_type says which of its fields apply; the doc of each
// CardType names the required ones, and the checks before sending apply
// WeCom's list limits (at most 6 buttons, 6 horizontal lines, 3 jumps, 4
// vertical lines, 3 selects of at most 10 options, 20 checkbox options, 1
// to 3 menu entries) and the task id's rules (at most 128 bytes of
// letters, digits and _-@, unique within the app, required for the
// interaction cards and whenever ActionMenu is set).
//
// The interaction cards and the notice cards with an ActionMenu come back:
// a press, a submission or a menu pick reaches the app as a
// template_card_event (callback.TemplateCardEvent), and the card can be
// updated once per response code (Service.UpdateTemplateCard).
//
// ReplaceText (interaction cards) and the Disable flags of selects and
// checkboxes apply when a card is sent as an update: they turn the card's
// controls unclickable.
//
// WeCom API docs: https://developer.work.weixin.qq.com/document/path/90236
type TemplateCard struct {
	CardType   CardType        `json:"card_type"`
	Source     *CardSource     `json:"source,omitempty"`
	ActionMenu *CardActionMenu `json:"action_menu,omitempty"`
	TaskID     string          `json:"task_id,omitempty"`
	MainTitle  *CardMainTitle  `json:"main_title,omitempty"`
	QuoteArea  *CardQuoteArea  `json:"quote_area,omitempty"`
	// EmphasisContent (text_notice) shows one figure large.
	EmphasisContent *CardEmphasisContent `json:"emphasis_content,omitempty"`
	// SubTitleText is secondary text (text_notice, button_interaction).
	SubTitleText          string                  `json:"sub_title_text,omitempty"`
	HorizontalContentList []CardHorizontalContent `json:"horizontal_content_list,omitempty"`
	JumpList              []CardJump              `json:"jump_list,omitempty"`
	CardAction            *CardAction             `json:"card_action,omitempty"`
	// ImageTextArea and CardImage (news_notice): one of them is required.
	ImageTextArea       *CardImageTextArea    `json:"image_text_area,omitempty"`
	CardImage           *CardImage            `json:"card_image,omitempty"`
	VerticalContentList []CardVerticalContent `json:"vertical_content_list,omitempty"`
	// ButtonSelection is the dropdown of a button_interaction card.
	ButtonSelection *CardSelect  `json:"button_selection,omitempty"`
	ButtonList      []CardButton `json:"button_list,omitempty"`
	// Checkbox is the vote of a vote_interaction card.
	Checkbox *CardCheckbox `json:"checkbox,omitempty"`
	// SelectList are the dropdowns of a multiple_interaction card.
	SelectList   []CardSelect      `json:"select_list,omitempty"`
	SubmitButton *CardSubmitButton `json:"submit_button,omitempty"`
	// ReplaceText, in an update of an interaction card, greys its buttons
	// out and shows this text on them.
	ReplaceText string `json:"replace_text,omitempty"`
}

// CardSource is the card's source line: an icon and a text (DescColor 0
// grey, 1 black, 2 red, 3 green).
type CardSource struct {
	IconURL   string `json:"icon_url,omitempty"`
	Desc      string `json:"desc,omitempty"`
	DescColor int    `json:"desc_color,omitempty"`
}

// CardActionMenu is the card's top-right menu: 1 to 3 entries; a pick
// comes back as a template_card_menu_event with the entry's key.
type CardActionMenu struct {
	Desc       string           `json:"desc,omitempty"`
	ActionList []CardMenuAction `json:"action_list"`
}

// CardMenuAction is one entry of a CardActionMenu (key at most 1024 bytes,
// unique in the card).
type CardMenuAction struct {
	Text string `json:"text"`
	Key  string `json:"key"`
}

// CardMainTitle is the card's title and its subtitle.
type CardMainTitle struct {
	Title string `json:"title,omitempty"`
	Desc  string `json:"desc,omitempty"`
}

// CardQuoteArea is a quoted block; Type 0 opens nothing, 1 opens URL, 2 a
// mini program page (AppID, PagePath).
type CardQuoteArea struct {
	Type      int    `json:"type,omitempty"`
	URL       string `json:"url,omitempty"`
	AppID     string `json:"appid,omitempty"`
	PagePath  string `json:"pagepath,omitempty"`
	Title     string `json:"title,omitempty"`
	QuoteText string `json:"quote_text,omitempty"`
}

// CardEmphasisContent is a large figure (Title) with its caption (Desc).
type CardEmphasisContent struct {
	Title string `json:"title,omitempty"`
	Desc  string `json:"desc,omitempty"`
}

// CardHorizontalContent is one "key: value" line; Type 0 is plain text, 1
// opens URL, 2 downloads the attachment (Value is its file name), 3 opens
// the profile of member UserID. The attachment of Type 2 is a temporary
// media id (MediaID, media/upload) or the file to upload for one (Upload).
type CardHorizontalContent struct {
	Type    int    `json:"type,omitempty"`
	KeyName string `json:"keyname"`
	Value   string `json:"value,omitempty"`
	URL     string `json:"url,omitempty"`
	MediaID string `json:"media_id,omitempty"`
	UserID  string `json:"userid,omitempty"`
	// Upload is the attachment's file (Type 2, at most 20 MB); each send
	// or update fills MediaID from the Service's MediaCache.
	Upload *wecom.MediaSource `json:"-"`
}

// CardJump is one link line; Type 0 opens nothing, 1 opens URL, 2 a mini
// program page.
type CardJump struct {
	Type     int    `json:"type,omitempty"`
	Title    string `json:"title"`
	URL      string `json:"url,omitempty"`
	AppID    string `json:"appid,omitempty"`
	PagePath string `json:"pagepath,omitempty"`
}

// CardAction is what tapping the card opens: Type 1 a URL, 2 a mini
// program page. Required for the notice cards.
type CardAction struct {
	Type     int    `json:"type"`
	URL      string `json:"url,omitempty"`
	AppID    string `json:"appid,omitempty"`
	PagePath string `json:"pagepath,omitempty"`
}

// CardImageTextArea is a picture with text beside it (news_notice); Type
// as in CardQuoteArea.
type CardImageTextArea struct {
	Type     int    `json:"type,omitempty"`
	URL      string `json:"url,omitempty"`
	AppID    string `json:"appid,omitempty"`
	PagePath string `json:"pagepath,omitempty"`
	Title    string `json:"title,omitempty"`
	Desc     string `json:"desc,omitempty"`
	ImageURL string `json:"image_url"`
}

// CardImage is a large picture (news_notice); AspectRatio between 1.3 and
// 2.25 (0: WeCom's 1.3).
type CardImage struct {
	URL         string  `json:"url"`
	AspectRatio float64 `json:"aspect_ratio,omitempty"`
}

// CardVerticalContent is one title-and-text block (news_notice).
type CardVerticalContent struct {
	Title string `json:"title"`
	Desc  string `json:"desc,omitempty"`
}

// CardSelect is a dropdown: a question (QuestionKey, at most 1024 bytes)
// with 1 to 10 options; SelectedID is the one selected at first. Disable
// applies in updates.
type CardSelect struct {
	QuestionKey string       `json:"question_key"`
	Title       string       `json:"title,omitempty"`
	SelectedID  string       `json:"selected_id,omitempty"`
	Disable     bool         `json:"disable,omitempty"`
	OptionList  []CardOption `json:"option_list"`
}

// CardOption is one option of a CardSelect (ID at most 128 bytes, unique
// in its select).
type CardOption struct {
	ID   string `json:"id"`
	Text string `json:"text"`
}

// CardButton is one button: Type 0 comes back as a template_card_event
// with Key (at most 1024 bytes, unique in the card), 1 opens URL; Style 1
// to 4.
type CardButton struct {
	Type  int    `json:"type,omitempty"`
	Text  string `json:"text"`
	Style int    `json:"style,omitempty"`
	Key   string `json:"key,omitempty"`
	URL   string `json:"url,omitempty"`
}

// CardCheckbox is a vote: a question with 1 to 20 options, single (Mode 0)
// or multiple choice (Mode 1). Disable applies in updates.
type CardCheckbox struct {
	QuestionKey string            `json:"question_key"`
	Mode        int               `json:"mode,omitempty"`
	Disable     bool              `json:"disable,omitempty"`
	OptionList  []CardCheckOption `json:"option_list"`
}

// CardCheckOption is one option of a CardCheckbox.
type CardCheckOption struct {
	ID        string `json:"id"`
	Text      string `json:"text"`
	IsChecked bool   `json:"is_checked,omitempty"`
}

// CardSubmitButton submits a vote or a multiple choice; Key (at most 1024
// bytes) comes back as the event's EventKey.
type CardSubmitButton struct {
	Text string `json:"text,omitempty"`
	Key  string `json:"key"`
}

// Limits of a template card (90236), enforced before sending.
const (
	maxTaskIDBytes     = 128
	maxCardKeyBytes    = 1024
	maxCardOptionBytes = 128
	maxCardButtons     = 6
	maxCardHorizontal  = 6
	maxCardJumps       = 3
	maxCardVertical    = 4
	maxCardSelects     = 3
	maxSelectOptions   = 10
	maxCheckboxOptions = 20
	maxMenuActions     = 3
)

func (TemplateCard) msgType() MsgType { return MsgTemplateCard }

// interactive reports whether the card comes back (has a task to answer).
func (c TemplateCard) interactive() bool {
	switch c.CardType {
	case CardButtonInteraction, CardVoteInteraction, CardMultipleInteraction:
		return true
	}
	return c.ActionMenu != nil
}

func (c TemplateCard) check() error {
	switch c.CardType {
	case CardTextNotice, CardNewsNotice, CardButtonInteraction, CardVoteInteraction, CardMultipleInteraction:
	case "":
		return check.Invalidf("TemplateCard.CardType is required (CardTextNotice, CardNewsNotice, CardButtonInteraction, CardVoteInteraction or CardMultipleInteraction)")
	default:
		return check.Invalidf("TemplateCard.CardType %q is not one of WeCom's five card types", c.CardType)
	}
	if c.interactive() {
		if err := taskID(c.TaskID); err != nil {
			return err
		}
	}
	if m := c.ActionMenu; m != nil {
		if n := len(m.ActionList); n == 0 || n > maxMenuActions {
			return check.Invalidf("TemplateCard.ActionMenu has %d entries; WeCom takes 1 to %d", n, maxMenuActions)
		}
		for i, a := range m.ActionList {
			name := fmt.Sprintf("TemplateCard.ActionMenu.ActionList[%d]", i)
			if err := api.FirstErr(check.Required(name+".Text", a.Text), check.Required(name+".Key", a.Key),
				check.MaxBytes(name+".Key", a.Key, maxCardKeyBytes)); err != nil {
				return err
			}
		}
	}
	if err := api.FirstErr(
		api.MaxItems(check, "TemplateCard.HorizontalContentList", c.HorizontalContentList, maxCardHorizontal),
		api.MaxItems(check, "TemplateCard.JumpList", c.JumpList, maxCardJumps),
		api.MaxItems(check, "TemplateCard.VerticalContentList", c.VerticalContentList, maxCardVertical),
		api.MaxItems(check, "TemplateCard.ButtonList", c.ButtonList, maxCardButtons),
	); err != nil {
		return err
	}
	for i, h := range c.HorizontalContentList {
		if h.KeyName == "" {
			return check.Invalidf("TemplateCard.HorizontalContentList[%d].KeyName is required", i)
		}
		name := fmt.Sprintf("TemplateCard.HorizontalContentList[%d]", i)
		if h.Type == 2 {
			if err := check.RequiredMedia(name+".MediaID", h.MediaID, name+".Upload", h.Upload); err != nil {
				return err
			}
		} else if h.Upload != nil {
			return check.Invalidf("%s.Upload is the attachment of a line of Type 2; this line is Type %d", name, h.Type)
		}
	}
	switch c.CardType {
	case CardTextNotice:
		if (c.MainTitle == nil || c.MainTitle.Title == "") && c.SubTitleText == "" {
			return check.Invalidf("a text_notice card needs MainTitle.Title or SubTitleText")
		}
		if c.CardAction == nil {
			return check.Invalidf("a text_notice card needs a CardAction (what tapping it opens)")
		}
	case CardNewsNotice:
		if c.CardImage == nil && c.ImageTextArea == nil {
			return check.Invalidf("a news_notice card needs a CardImage or an ImageTextArea")
		}
		if c.CardAction == nil {
			return check.Invalidf("a news_notice card needs a CardAction (what tapping it opens)")
		}
	case CardButtonInteraction:
		if len(c.ButtonList) == 0 {
			return check.Invalidf("a button_interaction card needs at least one button (ButtonList)")
		}
		for i, b := range c.ButtonList {
			name := fmt.Sprintf("TemplateCard.ButtonList[%d]", i)
			if err := check.Required(name+".Text", b.Text); err != nil {
				return err
			}
			if b.Type == 1 {
				if err := check.Required(name+".URL", b.URL); err != nil {
					return err
				}
			} else if err := api.FirstErr(check.Required(name+".Key", b.Key), check.MaxBytes(name+".Key", b.Key, maxCardKeyBytes)); err != nil {
				return err
			}
		}
		if c.ButtonSelection != nil {
			if err := selectCheck("TemplateCard.ButtonSelection", *c.ButtonSelection); err != nil {
				return err
			}
		}
	case CardVoteInteraction:
		cb := c.Checkbox
		if cb == nil {
			return check.Invalidf("a vote_interaction card needs a Checkbox")
		}
		if err := api.FirstErr(check.Required("TemplateCard.Checkbox.QuestionKey", cb.QuestionKey),
			check.MaxBytes("TemplateCard.Checkbox.QuestionKey", cb.QuestionKey, maxCardKeyBytes)); err != nil {
			return err
		}
		if n := len(cb.OptionList); n == 0 || n > maxCheckboxOptions {
			return check.Invalidf("TemplateCard.Checkbox has %d options; WeCom takes 1 to %d", n, maxCheckboxOptions)
		}
		for i, o := range cb.OptionList {
			name := fmt.Sprintf("TemplateCard.Checkbox.OptionList[%d]", i)
			if err := api.FirstErr(check.Required(name+".ID", o.ID), check.MaxBytes(name+".ID", o.ID, maxCardOptionBytes),
				check.Required(name+".Text", o.Text)); err != nil {
				return err
			}
		}
		if err := submitCheck(c.SubmitButton); err != nil {
			return err
		}
	case CardMultipleInteraction:
		if n := len(c.SelectList); n == 0 || n > maxCardSelects {
			return check.Invalidf("TemplateCard.SelectList has %d selects; WeCom takes 1 to %d", n, maxCardSelects)
		}
		for i, sel := range c.SelectList {
			if err := selectCheck(fmt.Sprintf("TemplateCard.SelectList[%d]", i), sel); err != nil {
				return err
			}
		}
		if err := submitCheck(c.SubmitButton); err != nil {
			return err
		}
	}
	return nil
}

// taskID checks a task_id: required, at most 128 bytes of letters, digits
// and _-@.
func taskID(id string) error {
	if id == "" {
		return check.Invalidf("TemplateCard.TaskID is required for an interaction card or a card with an ActionMenu (unique within the app)")
	}
	if len(id) > maxTaskIDBytes {
		return check.Invalidf("TemplateCard.TaskID is %d bytes long; WeCom allows at most %d", len(id), maxTaskIDBytes)
	}
	for _, r := range id {
		if !(r >= '0' && r <= '9' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r == '_' || r == '-' || r == '@') {
			return check.Invalidf("TemplateCard.TaskID %q holds %q; WeCom takes letters, digits and _-@ only", id, r)
		}
	}
	return nil
}

func selectCheck(name string, s CardSelect) error {
	if err := api.FirstErr(check.Required(name+".QuestionKey", s.QuestionKey),
		check.MaxBytes(name+".QuestionKey", s.QuestionKey, maxCardKeyBytes)); err != nil {
		return err
	}
	if n := len(s.OptionList); n == 0 || n > maxSelectOptions {
		return check.Invalidf("%s has %d options; WeCom takes 1 to %d", name, n, maxSelectOptions)
	}
	for i, o := range s.OptionList {
		oname := fmt.Sprintf("%s.OptionList[%d]", name, i)
		if err := api.FirstErr(check.Required(oname+".ID", o.ID), check.MaxBytes(oname+".ID", o.ID, maxCardOptionBytes),
			check.Required(oname+".Text", o.Text)); err != nil {
			return err
		}
	}
	return nil
}

func submitCheck(b *CardSubmitButton) error {
	if b == nil {
		return check.Invalidf("the card needs a SubmitButton")
	}
	return api.FirstErr(check.Required("TemplateCard.SubmitButton.Key", b.Key),
		check.MaxBytes("TemplateCard.SubmitButton.Key", b.Key, maxCardKeyBytes))
}
