package callback

import (
	"encoding/xml"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/stretchr/testify/require"
)

// cardSample is the official template_card_event sample (90240) with the
// selected items of a vote.
const cardSample = `<xml><ToUserName><![CDATA[toUser]]></ToUserName><FromUserName><![CDATA[FromUser]]></FromUserName>` +
	`<CreateTime>123456789</CreateTime><MsgType><![CDATA[event]]></MsgType><Event><![CDATA[template_card_event]]></Event>` +
	`<EventKey><![CDATA[key111]]></EventKey><TaskId><![CDATA[taskid111]]></TaskId><CardType><![CDATA[text_notice]]></CardType>` +
	`<ResponseCode><![CDATA[ResponseCode]]></ResponseCode><AgentID>1</AgentID><SelectedItems><SelectedItem>` +
	`<QuestionKey><![CDATA[QuestionKey1]]></QuestionKey><OptionIds><OptionId><![CDATA[OptionId1]]></OptionId>` +
	`<OptionId><![CDATA[OptionId2]]></OptionId></OptionIds></SelectedItem></SelectedItems></xml>`

// FuzzTemplateCardEvent feeds template-card pushes to the parser: whatever
// parses as one is a *TemplateCardEvent whose trimmed fields carry no
// surrounding space, and its passive reply (UpdateButtonReply) is
// well-formed XML that gives back the names it was built from.
func FuzzTemplateCardEvent(f *testing.F) {
	f.Add(cardSample, "已处理")
	f.Add(strings.Replace(cardSample, "template_card_event", "template_card_menu_event", 1), "done ]]> again")
	f.Add(`<xml><Event>template_card_event</Event><FromUserName>a]]&gt;b</FromUserName><SelectedItems/></xml>`, "")
	f.Add(`<xml><Event>template_card_event</Event><SelectedItems><SelectedItem><OptionIds><OptionId> x </OptionId></OptionIds></SelectedItem></SelectedItems></xml>`, "x")
	f.Fuzz(func(t *testing.T, push, replaceName string) {
		ev, err := ParseEvent([]byte(push))
		if err != nil {
			return
		}
		card, ok := ev.(*TemplateCardEvent)
		if !ok {
			return
		}
		for _, s := range []string{card.TaskID, card.CardType, card.ResponseCode} {
			require.Equal(t, strings.TrimSpace(s), s, "untrimmed field")
		}
		for _, it := range card.SelectedItems {
			for _, id := range it.OptionIDs {
				require.Equal(t, strings.TrimSpace(id), id, "untrimmed option id")
			}
		}
		reply := card.UpdateButtonReply(replaceName)
		var got struct {
			ToUserName   string `xml:"ToUserName"`
			FromUserName string `xml:"FromUserName"`
			ReplaceName  string `xml:"Button>ReplaceName"`
		}
		require.NoError(t, xml.Unmarshal(reply, &got), "the reply is not XML: %q", reply)
		for _, p := range [][2]string{{got.ReplaceName, replaceName}, {got.ToUserName, card.FromUserName}, {got.FromUserName, card.ToUserName}} {
			require.Equal(t, refXMLText(p[1]), p[0], "the reply reads %q", p[0])
		}
	})
}

// refXMLText is s as an XML reader gives it back from the reply: line ends
// normalised, and what XML cannot carry (invalid UTF-8, control
// characters) replaced by U+FFFD.
func refXMLText(s string) string {
	s = strings.ReplaceAll(strings.ReplaceAll(s, "\r\n", "\n"), "\r", "\n")
	var b strings.Builder
	for _, r := range s {
		if r == utf8.RuneError || !refXMLChar(r) {
			r = utf8.RuneError
		}
		b.WriteRune(r)
	}
	return b.String()
}

func refXMLChar(r rune) bool {
	return r == 0x09 || r == 0x0A || r == 0x0D || r >= 0x20 && r <= 0xD7FF || r >= 0xE000 && r <= 0xFFFD || r >= 0x10000 && r <= 0x10FFFF
}
