package callback_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/scrmkit/scrm/callback"
	"github.com/scrmkit/scrm/wecom"
	"github.com/scrmkit/scrm/wecom/wecomtest"
)

// Options never fail by themselves: each invalid setting is recorded and
// the constructor returns it, with a message that says what is wrong.
func TestInvalidOptionsAreReportedByTheConstructor(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		opt  callback.Option
		want string
	}{
		{callback.WithReceiverIDs("a", ""), "callback: empty receiver id (use InsecureSkipReceiverCheck to skip the check)"},
		{callback.WithReceiverFunc(nil), "callback: nil receiver func"},
		{callback.WithURLCheckReceiverIDs(""), "callback: empty URL-check receiver id"},
		{callback.WithDedupStore(nil, time.Minute), "callback: nil dedup store"},
		{callback.WithWorkers(0, 1), "callback: WithWorkers(0, 1): need n >= 1 and queue >= 0"},
		{callback.WithWorkers(1, -1), "callback: WithWorkers(1, -1): need n >= 1 and queue >= 0"},
		{callback.WithQueue(nil), "callback: nil queue"},
		{callback.WithTimestampWindow(0), "callback: timestamp window must be positive"},
		{callback.WithHandlerTimeout(-time.Second), "callback: WithHandlerTimeout(-1s): the timeout must be positive"},
	} {
		_, err := callback.NewHandler(token, aesKey, callback.WithReceiverID(corpID), tc.opt)
		assert.EqualError(t, err, tc.want)
	}

	// every invalid setting is reported, not only the first
	_, err := callback.NewHandler(token, aesKey, callback.WithReceiverID(corpID),
		callback.WithQueue(nil), callback.WithHandlerTimeout(0))
	require.Error(t, err)
	assert.ErrorContains(t, err, "nil queue")
	assert.ErrorContains(t, err, "WithHandlerTimeout(0s)")

	// the suite constructors report them alike
	suite := wecom.NewSuite("wwoptsuite", "secret")
	key := wecomtest.NewEncodingAESKey()
	_, err = callback.NewSuiteCommandHandler(suite, "t", key, callback.WithHandlerTimeout(0))
	assert.ErrorContains(t, err, "WithHandlerTimeout(0s)")
	_, err = callback.NewSuiteDataHandler(suite, "t", key, callback.WithQueue(nil))
	assert.EqualError(t, err, "callback: nil queue")
}
