package contact_test

import (
	"encoding/json"
	"reflect"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/scrmkit/scrm/contact"
	"github.com/scrmkit/scrm/internal/testkit"
)

// FuzzDecodeBatchResponse decodes WeCom's batch/get_by_user answer, the
// largest structure this package parses: decoding must never panic, and
// what decodes must survive a JSON round trip unchanged.
func FuzzDecodeBatchResponse(f *testing.F) {
	f.Add([]byte(`{"errcode":0,"errmsg":"ok","external_contact_list":[{"external_contact":{"external_userid":"wmA","name":"王五","type":2,"gender":1,"corp_name":"腾讯","external_profile":{"external_attr":[{"type":0,"name":"n","text":{"value":"v"}},{"type":1,"name":"w","web":{"url":"http://x","title":"t"}},{"type":2,"name":"m","miniprogram":{"appid":"wx1","pagepath":"/i","title":"p"}}]}},"follow_info":{"userid":"lisi","createtime":1525881637,"tag_id":["etA","stB"],"state":"ch1","oper_userid":"wmA","add_way":3,"remark_mobiles":["1"]}}],"next_cursor":"r9Fq"}`))
	f.Add([]byte(`{"external_contact_list":[{"follow_info":{"createtime":"1525881637","add_way":10,"wechat_channels":{"nickname":"n","source":2}}}]}`))
	f.Add([]byte(`{"external_contact_list":null,"next_cursor":""}`))
	f.Add([]byte(`{"external_contact_list":[{"follow_info":{"createtime":"x"}}]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		var a contact.BatchGetByUserResponse
		if err := json.Unmarshal(data, &a); err != nil {
			return
		}
		out, err := json.Marshal(a)
		require.NoError(t, err, "re-encode")
		var b contact.BatchGetByUserResponse
		require.NoError(t, json.Unmarshal(out, &b), "decode own encoding %s", out)
		// compare the re-decoded value with the first decode, so that
		// anything the first decode or the encoding loses shows
		emptyToNil(reflect.ValueOf(&a).Elem())
		emptyToNil(reflect.ValueOf(&b).Elem())
		require.Equal(t, a, b, "the round trip changed the value; encoded %s", out)
	})
}

// emptyToNil sets every empty slice and map reachable from v to nil, in
// place: the one difference a JSON round trip may make (omitempty drops
// them). v must be addressable.
func emptyToNil(v reflect.Value) {
	switch v.Kind() {
	case reflect.Pointer, reflect.Interface:
		if !v.IsNil() {
			emptyToNil(v.Elem())
		}
	case reflect.Struct:
		for i := range v.NumField() {
			if v.Type().Field(i).IsExported() {
				emptyToNil(v.Field(i))
			}
		}
	case reflect.Slice:
		if v.Len() == 0 {
			v.SetZero()
			return
		}
		for i := range v.Len() {
			emptyToNil(v.Index(i))
		}
	case reflect.Map:
		if v.Len() == 0 {
			v.SetZero()
		}
	}
}

func TestEmptyToNil(t *testing.T) {
	t.Parallel()
	a := contact.BatchGetByUserResponse{ExternalContactList: []contact.CustomerRecord{{FollowInfo: contact.FollowInfo{TagID: []string{}}}}}
	emptyToNil(reflect.ValueOf(&a).Elem())
	assert.Nil(t, a.ExternalContactList[0].FollowInfo.TagID, "an empty slice inside a slice element kept")
	b := contact.BatchGetByUserResponse{ExternalContactList: []contact.CustomerRecord{}}
	emptyToNil(reflect.ValueOf(&b).Elem())
	assert.Nil(t, b.ExternalContactList, "an empty top-level slice kept")
}

// FuzzDecodeCustomerDetail decodes externalcontact/get answers.
func FuzzDecodeCustomerDetail(f *testing.F) {
	f.Add([]byte(`{"errcode":0,"errmsg":"ok","external_contact":{"external_userid":"wm1","name":"李四","type":1,"gender":1,"unionid":"o1"},"follow_user":[{"userid":"rocky","createtime":1525779812,"tags":[{"group_name":"G","tag_name":"T","type":1,"tag_id":"et1"},{"group_name":"G","tag_name":"mine","type":2}],"oper_userid":"rocky","add_way":1,"state":"ch1"}],"next_cursor":""}`))
	f.Add([]byte(`{"follow_user":[{"createtime":null,"add_way":202}]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		var d contact.CustomerDetail
		if err := json.Unmarshal(data, &d); err != nil {
			return
		}
		_, err := json.Marshal(d)
		require.NoError(t, err, "re-encode")
	})
}

// FuzzSyncResume resumes a sync from arbitrary (stored, possibly corrupted)
// checkpoints: it must never panic, never yield a record twice, and only
// yield records that exist.
func FuzzSyncResume(f *testing.F) {
	srv, c := testkit.Setup(f)
	staff := []string{"a", "b", "c", "d"}
	ids := testkit.Seed(f, srv, 40, staff...)
	exists := map[string]bool{}
	for i, id := range ids {
		exists[id+"/"+staff[i%len(staff)]] = true
	}
	svc := contact.New(c)
	f.Add([]byte(`{"user_index":0}`))
	f.Add([]byte(`{"user_index":2,"user_id":"c","cursor":""}`))
	f.Add([]byte(`{"user_index":1,"user_id":"b","cursor":"YzowOjM"}`))
	f.Add([]byte(`{"user_index":99,"user_id":"zz"}`))
	f.Add([]byte(`{"user_index":-3}`))
	f.Add([]byte(`{"user_index":1,"user_id":"b","cursor":"not-a-cursor"}`))
	// real mid-batch checkpoints, which name their batch
	n := 0
	for page, err := range svc.Sync(f.Context(), nil, contact.WithBatchUsers(2), contact.WithPageSize(7)) {
		require.NoError(f, err)
		if page.Next.Cursor != "" {
			b, err := json.Marshal(page.Next)
			require.NoError(f, err)
			f.Add(b)
			if n++; n == 3 {
				break
			}
		}
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		var cp contact.Checkpoint
		if err := json.Unmarshal(data, &cp); err != nil {
			return
		}
		seen := map[string]bool{}
		for page, err := range svc.Sync(t.Context(), &cp, contact.WithBatchUsers(2), contact.WithPageSize(7)) {
			if err != nil {
				return // bad cursors are WeCom's to refuse
			}
			for _, r := range page.Records {
				k := key(r)
				require.False(t, seen[k], "record %s yielded twice", k)
				require.True(t, exists[k], "record %s does not exist", k)
				seen[k] = true
			}
		}
	})
}
