package main

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/scrmkit/scrm/wecom/wecomtest"
)

// The chain on the fake: store welcomes, head office's task read per store
// and guide, the resigned guide's customers and group handed over, and the
// next task's numbers the same per store (each step checks the fake and
// fails the run otherwise).
func TestRunsWithoutCredentials(t *testing.T) {
	t.Parallel()
	var out bytes.Buffer
	require.NoError(t, run(t.Context(), &out, func(string) string { return "" }), out.String())
	text := out.String()
	for _, want := range []string{
		"started the fake WeCom",
		"上海静安店: sh-amy, sh-bob; 北京朝阳店: bj-cat, bj-dan",
		"2 store tags; 6 codes (2 stores, 4 guides)",
		"10 customers: sh-amy 2, sh-bob 2, bj-cat 2, bj-dan 4",
		"10 welcomes, each naming the customer's store; every customer tagged with it",
		"4 mass-send tasks, one per guide; all but bj-dan confirm",
		"上海静安店 reach 4/4 (sh-amy sent 2/2, sh-bob sent 2/2); 北京朝阳店 reach 2/6 (bj-cat sent 2/2, bj-dan did not send 0/4)",
		"bj-dan reminded by WeCom (remind_groupmsg_send) and sent: 北京朝阳店 reach 6/6",
		"2 customers and 1 group handed to sh-amy (same store)",
		"2 transfers done; sh-amy follows all 4 of the store's customers and owns sh-bob's group",
		"上海静安店 reach 4/4 (sh-amy sent 4/4); 北京朝阳店 reach 6/6 (bj-cat sent 2/2, bj-dan sent 4/4) (as in task 1; sh-amy reached 4)",
		"6 codes deleted",
	} {
		assert.Contains(t, text, want)
	}
	assert.NotContains(t, text, "FAILED")
	assert.Equal(t, 14, strings.Count(text, "\n"), "one line per step:\n%s", text)
}

// Against a server the environment names, the program reads the stores
// under WECOM_STORES_DEPARTMENT, makes and retires their codes, and sends
// nothing.
func TestRunAgainstAServerNamedByTheEnvironment(t *testing.T) {
	t.Parallel()
	fake := wecomtest.NewServer(t)
	corp := fake.Corp(fake.CorpID)
	dir := corp.Directory()
	require.NoError(t, dir.AddDepartment(wecomtest.DepartmentSpec{ID: 7, Name: "Stores"}))
	require.NoError(t, dir.AddDepartment(wecomtest.DepartmentSpec{ID: 8, ParentID: 7, Name: "Riverside"}))
	require.NoError(t, dir.AddMember(wecomtest.MemberSpec{UserID: "guide1", Name: "G1", Departments: []int{8}}))
	require.NoError(t, corp.AddStaff("guide1"))
	env := map[string]string{"WECOM_CORP_ID": fake.CorpID, "WECOM_CORP_SECRET": wecomtest.DefaultSecret,
		"WECOM_BASE_URL": fake.URL, "WECOM_STORES_DEPARTMENT": "7"}
	var out bytes.Buffer
	require.NoError(t, run(t.Context(), &out, func(k string) string { return env[k] }), out.String())
	text := out.String()
	assert.Contains(t, text, "Riverside: guide1")
	assert.Contains(t, text, "1 store tags; 2 codes (1 stores, 1 guides)")
	assert.Contains(t, text, "2 codes deleted")
	assert.Equal(t, 4, strings.Count(text, "\n"), text)
	assert.Zero(t, fake.Count("externalcontact/add_msg_template"))
}

func TestRunFailsWithoutServer(t *testing.T) {
	t.Parallel()
	env := map[string]string{"WECOM_CORP_ID": "ww1", "WECOM_CORP_SECRET": "s", "WECOM_BASE_URL": "http://127.0.0.1:1"}
	var out bytes.Buffer
	require.Error(t, run(context.Background(), &out, func(k string) string { return env[k] }))
	assert.Contains(t, out.String(), "FAILED")
}
