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
		"started the fake WeCom", "2 images as Moments attachments",
		"after 7s of simulated waiting; senders WeCom could not use: [nobody]",
		"posted by [zhangsan]; 5 customers can see it; comments 1, likes 1",
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

func TestRunNeedsSendersForARealCorp(t *testing.T) {
	env := map[string]string{"WECOM_CORP_ID": "ww1", "WECOM_CORP_SECRET": "s"}
	var out bytes.Buffer
	err := run(context.Background(), &out, func(k string) string { return env[k] })
	if err == nil || !strings.Contains(out.String(), "WECOM_MOMENTS_SENDERS") {
		t.Fatalf("err = %v\n%s", err, out.String())
	}
}

func TestRunFailsWithoutServer(t *testing.T) {
	env := map[string]string{"WECOM_CORP_ID": "ww1", "WECOM_CORP_SECRET": "s", "WECOM_BASE_URL": "http://127.0.0.1:1",
		"WECOM_MOMENTS_SENDERS": "zhangsan"}
	var out bytes.Buffer
	if err := run(context.Background(), &out, func(k string) string { return env[k] }); err == nil {
		t.Fatalf("run succeeded against a closed port:\n%s", out.String())
	}
	if !strings.Contains(out.String(), "FAILED") {
		t.Errorf("no failed step printed:\n%s", out.String())
	}
}
