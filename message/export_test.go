package message

import "time"

// SetWelcomeWaits sets how long w waits before retrying after 41096 and for
// a free sender, so that tests need not wait seconds.
func SetWelcomeWaits(w *Welcomes, retry, busy time.Duration) {
	w.retryWait, w.busyWait = retry, busy
}
