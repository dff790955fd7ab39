package wecomtest_test

import (
	"strings"
	"testing"

	"github.com/scrmkit/scrm/wecom"
	"github.com/scrmkit/scrm/wecom/wecomtest"
)

func TestSmoke(t *testing.T) {
	srv := wecomtest.NewServer(t)
	c := srv.Client()
	tok, err := c.AccessToken(t.Context())
	if err != nil || tok == "" {
		t.Fatal(tok, err)
	}
	m, err := c.UploadMedia(t.Context(), wecom.MediaFile, "a.txt", strings.NewReader("hello world"))
	if err != nil {
		t.Fatal(err)
	}
	t.Log(m)
	srv.ExpireTokens(srv.CorpID)
	if _, err := c.UploadImage(t.Context(), "a.png", strings.NewReader("pngpngpng")); err != nil {
		t.Fatal(err)
	}
	if srv.TokenFetches(srv.CorpID) != 2 {
		t.Fatal(srv.TokenFetches(srv.CorpID))
	}
}
