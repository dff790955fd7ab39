package api

// PageLimit refuses a page size WeCom would not take: v is the request's
// page-size field called name, 0 asks for WeCom's default page, and 1 to max
// are the sizes WeCom allows. The error reads
// "<Pkg>: Limit is 5000; WeCom allows 1 to 1000 (0 for its default)".
func PageLimit(check Check, name string, v, max int) error {
	if v < 0 || v > max {
		return check.Invalidf("%s is %d; WeCom allows 1 to %d (0 for its default)", name, v, max)
	}
	return nil
}
