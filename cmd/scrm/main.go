// Command scrm does the work around a WeCom (企业微信) integration that is
// not the integration's own code, with the scrmkit SDK:
//
//	scrm check                      do these credentials work from here? (40001, 60020, 48002 explained)
//	scrm callback decrypt           open a captured push and say which check fails
//	scrm callback verify-url        play WeCom's URL check against a callback endpoint
//	scrm callback serve             a callback endpoint that logs every typed event
//	scrm export customers           every customer relation to JSON lines or CSV, resumable
//	scrm deadletters list|show|replay|drop   the pushes parked in the Redis queue
//	scrm fake                       a fake WeCom server for teams who do not write Go
//
// Install it with
//
//	go install github.com/scrmkit/scrm/cmd/scrm@latest
//
// Settings come from flags or from the environment (WECOM_CORP_ID,
// WECOM_CORP_SECRET, WECOM_BASE_URL, WECOM_CALLBACK_TOKEN,
// WECOM_CALLBACK_AES_KEY, WECOM_SUITE_ID, WECOM_SUITE_SECRET, ...; each
// command's --help names them). Secrets are never printed: not in output,
// errors, logs or --help.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, newApp(os.Stdin, os.Stdout, os.Stderr, os.Getenv), os.Args[1:])
	stop()
	os.Exit(code)
}
