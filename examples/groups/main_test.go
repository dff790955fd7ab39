package main

import (
	"bytes"
	"context"
	"strings"
	"testing"
)

func TestRunAgainstFake(t *testing.T) {
	var out bytes.Buffer
	if err := run(context.Background(), &out, func(string) string { return "" }); err != nil {
		t.Fatalf("%v\n%s", err, out.String())
	}
	s := out.String()
	for _, want := range []string{
		"auto_create_room true",
		`WeCom opened "Spring fair 2" when the first group was full`,
		`customers came with state "spring-fair"`,
		"groupchat/get calls: 0",
		"the group was read again",
		"2 of 2 group(s) handed to lisi",
		"2 group(s) owned by lisi in the tracker",
		": 1 groups, 1 members, 1 new members",
		"deleted ",
	} {
		if !strings.Contains(s, want) {
			t.Errorf("output lacks %q:\n%s", want, s)
		}
	}
	if strings.Contains(s, "FAILED") {
		t.Errorf("a step failed:\n%s", s)
	}
}

func TestRunFailsWithoutServer(t *testing.T) {
	env := map[string]string{"WECOM_CORP_ID": "ww1", "WECOM_CORP_SECRET": "s", "WECOM_BASE_URL": "http://127.0.0.1:1"}
	var out bytes.Buffer
	if err := run(context.Background(), &out, func(k string) string { return env[k] }); err == nil {
		t.Fatalf("run succeeded against a closed port:\n%s", out.String())
	}
	if !strings.Contains(out.String(), "FAILED") {
		t.Errorf("no failed step printed:\n%s", out.String())
	}
}
