package main

import (
	"bytes"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestRunAgainstFake(t *testing.T) {
	t.Parallel()
	var out bytes.Buffer
	require.NoError(t, run(t.Context(), &out, func(string) string { return "" }), out.String())
	s := out.String()
	for _, want := range []string{
		"A, C: 来源/海报 on alice; C: 来源/门店 on bob",
		"B, D: 来源/抖音 and 行为/打开链接 on alice",
		"customer_start_chat, then message_from_customer",
		"行为/入群 on each",
		"order paid: 行为/已购买",
		"to A, C, D, confirmed by alice; sends received so far: A 1, B 0, C 1, D 1",
		"del_member: 行为/退群 in place of 行为/入群",
		"via 海报, tags then 来源/海报, 行为/入群; 行为/流失 on bob's relation",
		"to D, confirmed by alice; sends received so far: A 1, B 0, C 1, D 2",
		"C/bob [来源/门店 行为/流失]",
	} {
		assert.Contains(t, s, want)
	}
	assert.NotContains(t, s, "FAILED")
	assert.Equal(t, 14, strings.Count(s, " ok  "), s)
}
