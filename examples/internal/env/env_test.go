package env

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestClient(t *testing.T) {
	none := func(string) string { return "" }
	c, ok := Client(none)
	assert.False(t, ok)
	assert.Nil(t, c)
	vars := map[string]string{"WECOM_CORP_ID": "wwenv", "WECOM_CORP_SECRET": "s", "WECOM_BASE_URL": "http://127.0.0.1:1"}
	c, ok = Client(func(k string) string { return vars[k] })
	assert.True(t, ok)
	assert.Equal(t, "wwenv", c.CorpID())
	_, err := c.AccessToken(t.Context()) // the base URL is used: nothing listens there
	assert.ErrorContains(t, err, "127.0.0.1:1")
}
