package wecom

import (
	"context"
	"net/http"
	"net/url"
	"time"
)

// Provider calls provider-level endpoints (服务商接口: login, registration,
// id migration...) with the provider_access_token, which identifies the
// service provider rather than one app. The token is cached in the Store
// under "wecom:token:provider:<provider corp id>:<secret fingerprint>" and
// refreshed like a corp token. A Provider is safe for concurrent use.
type Provider struct {
	c *Client
}

// NewProvider returns a Provider for the provider's own corp id and the
// provider secret (服务商管理后台 → 通用开发参数). It takes the Options of a
// Client (base URL, HTTP client, Store, logger, retries, limiter, clock);
// the suite-only settings have no meaning for it.
//
// WeCom API docs: https://developer.work.weixin.qq.com/document/path/96237
func NewProvider(corpID, providerSecret string, opts ...Option) *Provider {
	o := clientOptions(opts)
	o.withoutTokenSource("NewProvider")
	o.fill()
	c := newClient(corpID, o)
	c.tokenParam = "provider_access_token"
	key := "wecom:token:provider:" + corpID + ":" + secretFingerprint(providerSecret)
	c.tokens = c.newTokenCache(key, providerTokenFetch(c, providerSecret), TokenProvider, corpID, "")
	return &Provider{c: c}
}

func providerTokenFetch(c *Client, secret string) FetchFunc {
	return func(ctx context.Context) (string, time.Duration, error) {
		body := struct {
			CorpID         string `json:"corpid"`
			ProviderSecret string `json:"provider_secret"`
		}{c.corpID, secret}
		var out struct {
			ProviderAccessToken string `json:"provider_access_token"`
			ExpiresIn           int    `json:"expires_in"`
		}
		// The secret is added below resty (wireBody).
		err := c.doUnauthenticated(ctx, &Request{Method: http.MethodPost, Path: "/cgi-bin/service/get_provider_token",
			Body: struct {
				CorpID string `json:"corpid"`
			}{c.corpID}, wireBody: body, Out: &out, Op: OpRead})
		if err != nil {
			return "", 0, err
		}
		return out.ProviderAccessToken, time.Duration(out.ExpiresIn) * time.Second, nil
	}
}

// CorpID returns the provider's corp id.
func (p *Provider) CorpID() string { return p.c.corpID }

// AccessToken returns the provider_access_token, cached; concurrent cold
// callers share one fetch.
//
// WeCom API docs: https://developer.work.weixin.qq.com/document/path/90593
func (p *Provider) AccessToken(ctx context.Context) (string, error) {
	return p.c.AccessToken(ctx)
}

// Get calls a read-only provider-level GET endpoint.
func (p *Provider) Get(ctx context.Context, path string, query url.Values, out any) error {
	return p.c.Get(ctx, path, query, out)
}

// Post calls a provider-level POST endpoint as a write that is never
// re-sent once it may have reached WeCom (see Client.Post).
func (p *Provider) Post(ctx context.Context, path string, body, out any) error {
	return p.c.Post(ctx, path, body, out)
}

// Do makes one provider-level call (see Client.Do); the client adds
// ?provider_access_token=.
func (p *Provider) Do(ctx context.Context, r *Request) error { return p.c.Do(ctx, r) }
