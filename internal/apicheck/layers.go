package apicheck

// layers is where the module's layers are written down, from the bottom
// up. A package may import, from this module, only packages of lower
// layers: never one above it and never one beside it (so the API areas
// never import each other; a helper that spans areas lives in the layer
// above them and takes the small interfaces it needs). TestLayers enforces
// it for every package's non-test imports, and fails for a package that
// is missing here, so that a new package is placed deliberately.
// ARCHITECTURE.md explains each layer.
//
// A pattern ending in "/..." matches the folder and everything under it.
var layers = []struct {
	name     string
	packages []string
}{
	{"leaves: no import of the module", []string{"internal/kv", "internal/dedupkey", "internal/apicheck", "internal/readmetest"}},
	{"core: the client, tokens, store, limits, retries, media, suites", []string{"wecom"}},
	{"machinery on the core: callbacks, the fake, shared call and channel helpers", []string{
		"callback", "wecom/wecomtest", "internal/api", "internal/channelstate", "internal/shapetest",
	}},
	{"API areas (never import each other)", []string{
		"contact", "groupchat", "message", "acquisition", "idconvert", "kf", "staff", "appmsg", "directory",
	}},
	{"adapters and helpers above the areas, test support", []string{
		"redisstore", "scrmotel", "internal/testkit", "churn", "mirror", "sop",
	}},
	{"programs", []string{"examples/...", "cmd/..."}},
}

// fakeImports is the one package of the module wecomtest may import: the
// fake speaks WeCom's JSON from its own types and never sees the SDK's.
var fakeImports = []string{"wecom"}
