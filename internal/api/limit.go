package api

// PageLimit refuses a page size WeCom would not take: v may be 0 (WeCom's
// default page size) or 1 to max. name is the field's name in the error.
func PageLimit(check Check, name string, v, max int) error {
	if v < 0 || v > max {
		return check.Invalidf("%s is %d; WeCom allows 1 to %d (0 for its default)", name, v, max)
	}
	return nil
}
