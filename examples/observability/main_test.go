package main

import (
	"bytes"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestObservabilityExportsSpansAndMetrics(t *testing.T) {
	var out bytes.Buffer
	require.NoError(t, run(t.Context(), &out))
	text := out.String()
	for _, want := range []string{
		`"Name": "wecom /cgi-bin/get_api_domain_ip"`,
		`"Name": "retry"`,
		`"Value": "system_busy"`,
		`"Name": "wecom /cgi-bin/media/uploadimg"`,
		`"Code": "Error"`,
		`"Name": "wecom.call.duration"`,
		`"Name": "wecom.call.errors"`,
		`"Name": "wecom.token.fetches"`,
		`"Name": "wecom.limiter.wait"`,
		`"Name": "wecom.callback.events"`,
		`"Name": "wecom.callback.queue.lag"`,
		`"Value": "add_external_contact"`,
		"# write refused with errcode",
		"handled by the queue worker",
	} {
		assert.Contains(t, text, want)
	}
	// No personal data or token in what was exported.
	assert.NotContains(t, text, "wmExampleCustomer")
	assert.NotContains(t, text, "access_token")
	if t.Failed() {
		t.Log(strings.TrimSpace(text))
	}
}
