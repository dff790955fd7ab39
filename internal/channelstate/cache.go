package channelstate

import "sync"

// MaxCachedStates bounds an Engine's cache of resolved states: a corp's
// channels fit many times over, and states made up by strangers are never
// cached (only states the Store maps to a channel are).
const MaxCachedStates = 8192

// stateCache remembers which channel a state belongs to. That is safe
// because a state, once given to a channel, is never given to another: its
// key is set by compare-and-swap on an absent value and never deleted.
type stateCache struct {
	mu  sync.RWMutex
	m   map[string]string
	max int
}

func (c *stateCache) get(state string) (string, bool) {
	c.mu.RLock()
	name, ok := c.m[state]
	c.mu.RUnlock()
	return name, ok
}

// put remembers state's channel; when the cache is full, one entry (any)
// makes room.
func (c *stateCache) put(state, name string) {
	if state == "" || name == "" {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.m[state] == name {
		return
	}
	if c.m == nil {
		c.m = make(map[string]string)
	}
	if len(c.m) >= c.max {
		for k := range c.m {
			delete(c.m, k)
			break
		}
	}
	c.m[state] = name
}

// size is the number of states cached.
func (c *stateCache) size() int {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return len(c.m)
}
