package main

import (
	"bytes"
	"context"
	"strings"
	"testing"
)

func TestRunAgainstFake(t *testing.T) {
	var out bytes.Buffer
	if err := run(t.Context(), &out, func(string) string { return "" }); err != nil {
		t.Fatalf("%v\n%s", err, out.String())
	}
	s := out.String()
	for _, want := range []string{
		"started the fake WeCom", "3 members with customer contact", "reused: true",
		"3 tasks for 3 members", "2 of 3 members sent their part",
		"30 recipients: 20 sent, 10 unsent, 0 not friends, 0 over quota; 2 members sent",
	} {
		if !strings.Contains(s, want) {
			t.Errorf("output lacks %q:\n%s", want, s)
		}
	}
	if strings.Contains(s, "FAILED") {
		t.Errorf("a step failed:\n%s", s)
	}
	if n := strings.Count(s, "\n"); n != 7 {
		t.Errorf("%d lines, want one per step (7):\n%s", n, s)
	}
}

func TestRunNeedsTagForARealCorp(t *testing.T) {
	env := map[string]string{"WECOM_CORP_ID": "ww1", "WECOM_CORP_SECRET": "s"}
	var out bytes.Buffer
	err := run(context.Background(), &out, func(k string) string { return env[k] })
	if err == nil || !strings.Contains(out.String(), "WECOM_MASSSEND_TAG_ID") {
		t.Fatalf("err = %v\n%s", err, out.String())
	}
}

func TestRunFailsWithoutServer(t *testing.T) {
	env := map[string]string{"WECOM_CORP_ID": "ww1", "WECOM_CORP_SECRET": "s", "WECOM_BASE_URL": "http://127.0.0.1:1",
		"WECOM_MASSSEND_TAG_ID": "et1"}
	var out bytes.Buffer
	if err := run(context.Background(), &out, func(k string) string { return env[k] }); err == nil {
		t.Fatalf("run succeeded against a closed port:\n%s", out.String())
	}
	if !strings.Contains(out.String(), "FAILED") {
		t.Errorf("no failed step printed:\n%s", out.String())
	}
}
