package callback

// Third-party command events about what an authorized corp lets the app do,
// beyond create_auth / change_auth / cancel_auth.

// Kinds of these events.
const (
	// KindCustomerAcquisitionPermitChange: the members through whom the
	// app may gain customers (客户可建联成员范围, marketing-acquisition
	// 营销获客 apps) changed.
	KindCustomerAcquisitionPermitChange EventKind = "customer_acquisition_permit_change"
	// KindAuthDataPermission: a data permission was granted (first grant,
	// renewal before expiry, new grant after expiry).
	KindAuthDataPermission EventKind = "auth_data_permission"
	// KindExpireRemindDataPermission: a data permission expires in 7 days
	// (pushed once).
	KindExpireRemindDataPermission EventKind = "expire_remind_data_permission"
	// KindApproveSpecialAuth: the corp's admin confirmed the app's
	// customer-acquisition permission; its acquisition APIs work from now.
	KindApproveSpecialAuth EventKind = "approve_special_auth"
	// KindCancelSpecialAuth: the corp's admin withdrew that permission.
	KindCancelSpecialAuth EventKind = "cancel_special_auth"
	// KindAgreeExternalUserIDMigration: the corp's admin agreed to have its
	// customers' external_userids converted to the provider's.
	KindAgreeExternalUserIDMigration EventKind = "agree_external_userid_migration"
)

// AcquisitionPermitChangeEvent is customer_acquisition_permit_change
// (客户可建联成员范围变动): the members through whom a marketing-acquisition
// app may gain customers changed; fetch the range again. The event's body
// on 92277 could not be read: other SDKs read no element beyond the
// envelope (SuiteId, AuthCorpId, InfoType, TimeStamp); anything else is in
// Raw.
//
// WeCom API docs: https://developer.work.weixin.qq.com/document/path/92277
type AcquisitionPermitChangeEvent struct {
	Envelope
}

// DataPermissionType is the AuthType of a data-permission event: which
// data permission it is about. 101587 lists four (获客助手 data, 数据专区
// chats, knowledge sets and documents); only DataPermissionZoneChat could be
// read, the others arrive as sent.
type DataPermissionType string

// DataPermissionZoneChat is the permission to the data zone's chat data.
const DataPermissionZoneChat DataPermissionType = "data_zone_chat"

// DataPermissionEvent is auth_data_permission (a data permission was
// granted) or expire_remind_data_permission (it expires in 7 days), one push
// per permission. 101587 also documents an event for the expiry itself, whose
// InfoType could not be read: it arrives as an *UnknownEvent (OnDefault).
//
// WeCom API docs: https://developer.work.weixin.qq.com/document/path/101587
type DataPermissionEvent struct {
	Envelope
	AuthType DataPermissionType
}

// SpecialAuthEvent is approve_special_auth or cancel_special_auth: the
// corp's admin confirmed (or withdrew) a permission that needs a second
// confirmation after the install. AuthType is "customer_acquisition" (the
// acquisition permission) in every documented case.
//
// WeCom API docs: https://developer.work.weixin.qq.com/document/path/98959
type SpecialAuthEvent struct {
	Envelope
	AuthType string
}

// Approved reports whether the permission was granted (approve_special_auth)
// rather than withdrawn.
func (e *SpecialAuthEvent) Approved() bool { return e.Kind() == KindApproveSpecialAuth }

// ExternalUserIDMigrationEvent is agree_external_userid_migration: the corp
// agreed to the conversion of its customers' external_userids to the
// provider's (the external_userid upgrade, 96516). The body on 96516 could
// not be read: ServiceCorpId (the provider's corp id) and AuthCorpId are
// the elements other SDKs read.
//
// WeCom API docs: https://developer.work.weixin.qq.com/document/path/96516
type ExternalUserIDMigrationEvent struct {
	Envelope
	ServiceCorpID string
}
