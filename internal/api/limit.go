package api

// ClampLimit is the page size to send for a request's page-size field
// called name: v itself from 0 (WeCom's default page) to max, max for
// anything larger, and an error for a negative v. Several endpoints
// (get_groupmsg_list_v2, get_groupmsg_task, get_groupmsg_send_result, the
// Moments record lists, get_product_album_list) document that WeCom takes
// its default page size, not its maximum, for a limit above the maximum
// (「超过最大值时取默认值」), which would silently change the paging; others
// give a maximum and say nothing of a larger limit. Clamping asks every
// endpoint for the largest page it serves, the same way on every paged
// method. (The parameter tables of 93338, 93333 and 95096 were read in
// verbatim copies of the pages: the stored official pages show their tops
// only.) The error reads
// "<Pkg>: Limit is -1; want 0 (WeCom's default) or more".
func ClampLimit(check Check, name string, v, max int) (int, error) {
	if v < 0 {
		return 0, check.Invalidf("%s is %d; want 0 (WeCom's default) or more", name, v)
	}
	return min(v, max), nil
}
