package message_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"reflect"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/scrmkit/scrm/message"
	"github.com/scrmkit/scrm/wecom"
)

// answerTransport answers gettoken with a token and every other request
// with the body stored in answer.
type answerTransport struct{ answer atomic.Pointer[[]byte] }

func (a *answerTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	body := []byte(`{"errcode":0,"errmsg":"ok","access_token":"fuzz-token","expires_in":7200}`)
	if !strings.HasSuffix(r.URL.Path, "/gettoken") {
		body = *a.answer.Load()
	}
	if r.Body != nil {
		_, _ = io.Copy(io.Discard, r.Body)
		_ = r.Body.Close()
	}
	return &http.Response{StatusCode: 200, Header: http.Header{"Content-Type": {"application/json"}},
		Body: io.NopCloser(bytes.NewReader(body)), Request: r}, nil
}

// fuzzAnswer feeds data as the answer of one endpoint through the whole
// client (envelope check, decode) and checks: no panic; an errcode != 0
// becomes a *wecom.Error; a success decodes to what a plain decode of the
// body gives, and that value survives a JSON round trip.
func fuzzAnswer[T any](f *testing.F, seeds []string, call func(context.Context, *message.Service) (*T, error)) {
	for _, s := range seeds {
		f.Add([]byte(s))
	}
	rt := &answerTransport{}
	svc := message.New(wecom.New("wwfuzz", "fuzz-secret", wecom.WithBaseURL("http://fuzz.invalid"),
		wecom.WithHTTPClient(&http.Client{Transport: rt}), wecom.WithRetryPolicy(wecom.NoRetry()),
		wecom.WithLimiter(wecom.NewMemoryLimiter(wecom.Limit{}, nil))))
	f.Fuzz(func(t *testing.T, data []byte) {
		rt.answer.Store(&data)
		got, err := call(t.Context(), svc)
		var env struct {
			Code *int `json:"errcode"`
		}
		if json.Unmarshal(data, &env) == nil && env.Code != nil && *env.Code != 0 {
			var we *wecom.Error
			require.ErrorAs(t, err, &we, "errcode %d", *env.Code)
			require.Equal(t, *env.Code, we.Code, "errcode %d answered as %v", *env.Code, err)
			return
		}
		if err != nil {
			return // not JSON, or fields of the wrong type
		}
		var plain T
		require.NoError(t, json.Unmarshal(data, &plain), "the client decoded what json cannot")
		require.Equal(t, plain, *got, "the client's decode differs from a plain decode")
		out, err := json.Marshal(plain)
		require.NoError(t, err, "re-encode")
		var again T
		require.NoError(t, json.Unmarshal(out, &again), "decode own encoding %s", out)
		emptyToNil(reflect.ValueOf(&plain).Elem())
		emptyToNil(reflect.ValueOf(&again).Elem())
		require.Equal(t, plain, again, "round trip changed the value; encoded %s", out)
	})
}

// FuzzDecodeGroupMsgList fuzzes the answer of get_groupmsg_list_v2.
func FuzzDecodeGroupMsgList(f *testing.F) {
	fuzzAnswer(f, []string{
		`{"errcode":0,"errmsg":"ok","next_cursor":"CURSOR","group_msg_list":[{"msgid":"msgGCAAAXtWyujaWJHDDGi0mAAAA","creator":"xxxx","create_time":"1605171726","create_type":1,"text":{"content":"文本消息内容"},"attachments":[{"msgtype":"image","image":{"media_id":"MEDIA_ID","pic_url":"http://p.qpic.cn/pic_wework/3474110808/7a6344sdadfwehe42060/0"}},{"msgtype":"link","link":{"title":"消息标题","picurl":"https://example.pic.com/path","desc":"消息描述","url":"https://example.link.com/path"}},{"msgtype":"miniprogram","miniprogram":{"title":"消息标题","pic_media_id":"MEDIA_ID","appid":"wx8bd80126147dfAAA","page":"/path/index.html"}},{"msgtype":"video","video":{"media_id":"MEDIA_ID"}},{"msgtype":"file","file":{"media_id":"MEDIA_ID"}}]}]}`,
		`{"errcode":0,"errmsg":"ok","group_msg_list":[{"msgid":"m","create_time":1605171726,"create_type":0}]}`,
		`{"errcode":41063,"errmsg":"msg is being dispatched"}`,
		`{"group_msg_list":[{"create_time":"xxxx"}]}`,
		`{"errcode":0,"group_msg_list":null}`,
	}, func(ctx context.Context, s *message.Service) (*message.ListGroupMsgsResponse, error) {
		return s.ListGroupMsgs(ctx, &message.ListGroupMsgsRequest{StartTime: 1, EndTime: 2})
	})
}

// FuzzDecodeGroupMsgTask fuzzes the answer of get_groupmsg_task.
func FuzzDecodeGroupMsgTask(f *testing.F) {
	fuzzAnswer(f, []string{
		`{"errcode":0,"errmsg":"ok","next_cursor":"CURSOR","task_list":[{"userid":"zhangsan","status":1,"send_time":1552536375}]}`,
		`{"errcode":0,"task_list":[{"userid":"lisi","status":0}],"next_cursor":""}`,
		`{"errcode":41047,"errmsg":"invalid msgid"}`,
		`{"task_list":[{"send_time":"1552536375"}]}`,
	}, func(ctx context.Context, s *message.Service) (*message.GetGroupMsgTaskResponse, error) {
		return s.GetGroupMsgTask(ctx, &message.GetGroupMsgTaskRequest{MsgID: "m"})
	})
}

// FuzzDecodeGroupMsgSendResult fuzzes the answer of get_groupmsg_send_result.
func FuzzDecodeGroupMsgSendResult(f *testing.F) {
	fuzzAnswer(f, []string{
		`{"errcode":0,"errmsg":"ok","next_cursor":"CURSOR","send_list":[{"external_userid":"wmqfasd1e19278asdasAAAA","chat_id":"wrOgQhDgAAMYQiS5ol9G7gK9JVAAAA","userid":"zhangsan","status":1,"send_time":1552536375}]}`,
		`{"errcode":0,"send_list":[{"external_userid":"wm1","userid":"u","status":3},{"chat_id":"wr1","userid":"u","status":2}]}`,
		`{"errcode":-1,"errmsg":"system busy"}`,
		`{"send_list":[{"status":"1"}]}`,
	}, func(ctx context.Context, s *message.Service) (*message.GetGroupMsgSendResultResponse, error) {
		return s.GetGroupMsgSendResult(ctx, &message.GetGroupMsgSendResultRequest{MsgID: "m", UserID: "u"})
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
