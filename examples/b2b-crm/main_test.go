package main

import (
	"bytes"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestRunAgainstFake(t *testing.T) {
	t.Parallel()
	db := filepath.Join(t.TempDir(), "crm.db")
	var out bytes.Buffer
	err := run(t.Context(), &out, func(k string) string {
		if k == "B2B_CRM_DB" {
			return db
		}
		return ""
	})
	require.NoError(t, err, out.String())
	s := out.String()
	for _, want := range []string{
		"generation 1: 6 relations and 3 groups upserted, 0 deleted",
		"is at 线索 in WeCom and in the CRM",
		"is at 商机 in WeCom and in the CRM",
		"edit_external_contact: ",
		"del_external_contact was not delivered; the CRM still has the relation",
		"generation 2: 6 relations and 3 groups upserted, 1 deleted",
		"one refused: transfer_fail",
		"check 1: 0 taken over, 1 refused, 2 waiting; check 2: 2 taken over, 0 refused, 0 waiting",
		"2 unassigned customers and 1 group(s) now lina's",
		"channel 官网咨询, stage [\"客户阶段/成交\"]",
		"generation 3: 5 relations and 3 groups upserted, 0 deleted",
	} {
		assert.Contains(t, s, want)
	}
	assert.NotContains(t, s, "FAILED")
	assert.Equal(t, 15, strings.Count(s, " ok  "), s)
	assert.FileExists(t, db, "the database the program wrote")
}
