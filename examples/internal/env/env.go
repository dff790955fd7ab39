// Package env reads the credentials the example programs share: with
// WECOM_CORP_ID (and WECOM_CORP_SECRET, optionally WECOM_BASE_URL) set they
// talk to the server the environment names instead of starting the fake
// WeCom; each program's package doc says which of its steps it then runs,
// and README.md lists the programs.
package env

import "github.com/scrmkit/scrm/wecom"

// Client returns a client for WECOM_CORP_ID and WECOM_CORP_SECRET at
// WECOM_BASE_URL (WeCom's own when unset), with opts, and true; or nil and
// false when WECOM_CORP_ID is unset (the example then starts the fake).
func Client(getenv func(string) string, opts ...wecom.Option) (*wecom.Client, bool) {
	corp := getenv("WECOM_CORP_ID")
	if corp == "" {
		return nil, false
	}
	if base := getenv("WECOM_BASE_URL"); base != "" {
		opts = append([]wecom.Option{wecom.WithBaseURL(base)}, opts...)
	}
	return wecom.New(corp, getenv("WECOM_CORP_SECRET"), opts...), true
}
