package callback_test

import (
	"encoding/xml"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/scrmkit/scrm/callback"
)

// A passive reply stays XML whatever its names hold: what XML cannot carry
// (found by FuzzTemplateCardEvent: a byte of invalid UTF-8) becomes U+FFFD,
// instead of a reply WeCom cannot parse.
func TestUpdateButtonReplyIsXMLWhateverTheNames(t *testing.T) {
	t.Parallel()
	ev := &callback.TemplateCardEvent{}
	ev.FromUserName, ev.ToUserName = "zhang\x01san", "ww\xa8corp"
	var got struct {
		ToUserName   string `xml:"ToUserName"`
		FromUserName string `xml:"FromUserName"`
		ReplaceName  string `xml:"Button>ReplaceName"`
	}
	require.NoError(t, xml.Unmarshal(ev.UpdateButtonReply("done\xa8 ]]> \x00ok\uFFFE"), &got))
	assert.Equal(t, "done\uFFFD ]]> \uFFFDok\uFFFD", got.ReplaceName)
	assert.Equal(t, "zhang\uFFFDsan", got.ToUserName)
	assert.Equal(t, "ww\uFFFDcorp", got.FromUserName)

	require.NoError(t, xml.Unmarshal(ev.UpdateButtonReply("已处理 ✓"), &got))
	assert.Equal(t, "已处理 ✓", got.ReplaceName, "a valid name is sent as it is")
}
