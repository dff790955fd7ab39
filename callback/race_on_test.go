//go:build race

package callback

// raceEnabled: the race detector changes allocation counts (sync.Pool drops
// items on purpose), so tests that count allocations skip under it.
const raceEnabled = true
