package wecom

import "context"

// GetAPIDomainIPs returns the IP ranges of WeCom's API domain (the addresses
// qyapi.weixin.qq.com resolves to), for firewall rules. WeCom advises pulling
// them daily: old and new ranges overlap for a while when they change.
//
// WeCom API docs: https://developer.work.weixin.qq.com/document/path/92520
func (c *Client) GetAPIDomainIPs(ctx context.Context) ([]string, error) {
	return c.ipList(ctx, "/cgi-bin/get_api_domain_ip")
}

// GetCallbackIPs returns the IP ranges WeCom sends callbacks from, for firewall
// rules on the callback URL.
//
// WeCom API docs: https://developer.work.weixin.qq.com/document/path/92521
func (c *Client) GetCallbackIPs(ctx context.Context) ([]string, error) {
	return c.ipList(ctx, "/cgi-bin/getcallbackip")
}

func (c *Client) ipList(ctx context.Context, path string) ([]string, error) {
	var out struct {
		IPList []string `json:"ip_list"`
	}
	if err := c.Get(ctx, path, nil, &out); err != nil {
		return nil, err
	}
	return out.IPList, nil
}
