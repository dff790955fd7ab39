package main

import (
	"bytes"
	"strings"
	"testing"
)

func TestQuickstartRunsWithoutCredentials(t *testing.T) {
	var out bytes.Buffer
	if err := run(t.Context(), &out, func(string) string { return "" }); err != nil {
		t.Fatalf("%v\n%s", err, out.String())
	}
	text := out.String()
	for _, want := range []string{
		"started the fake WeCom", "fetch access token",
		`state "quickstart-ad-1", welcome code present: true`,
		`came with state "quickstart-ad-1"`,
		"tag 来源/朋友圈广告 is on the customer",
		"succeeded after 3 attempts", "gettoken called 2 times",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("output lacks %q:\n%s", want, text)
		}
	}
	if strings.Contains(text, "FAILED") {
		t.Errorf("a step failed:\n%s", text)
	}
}
