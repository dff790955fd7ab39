// Package idconvert converts ids between a corp's id space and a service
// provider's. Third-party apps (第三方应用) and agent-developed apps (代开发应用)
// installed after 2022-06-28, or migrated, see every external_userid
// encrypted per provider and per corp: all apps of one provider see the
// same value, other providers and the corp's own self-built apps another.
// Such apps also no longer receive WeChat unionids from the customer APIs;
// the unionid calls here stand in.
//
//	conv := idconvert.New(suite.Corp(corpID)) // or an agent-developed app's client
//	pairs, err := conv.GetNewExternalUserID(ctx, &idconvert.GetNewExternalUserIDRequest{
//		ExternalUserIDList: storedIDs, // corp-subject ids kept from before the upgrade
//	})
//
// # Which app may call what
//
// WeCom decides by the kind of app whose token the call carries, so build
// the Service from the client of the right app: a corp client of a Suite
// (Suite.Corp) for a third-party app, the client New returns for a
// self-built or agent-developed app.
//
//   - GetNewExternalUserID, GroupChatGetNewExternalUserID: third-party and
//     agent-developed apps only (others get 48002), and a third-party app no
//     longer once its id migration is marked finished. The customer's follow
//     member (the group's owner) must be in the app's visible range.
//   - UnionIDToExternalUserID: third-party and agent-developed apps, for a
//     certified or verified corp, with a unionid/openid pair of a mini
//     program or official account whose subject is the corp (SubjectCorp) or
//     the provider (SubjectProvider). A user who is not yet the corp's
//     customer gets a PendingID, valid 90 days.
//   - UnionIDToExternalUserIDV1: the older corp-subject conversion
//     (externalcontact/unionid_to_external_userid, 企业主体unionid转换):
//     third-party and agent-developed apps, a verified corp, and the corp's
//     own mini program only. UnionIDToExternalUserID supersedes it.
//   - BatchExternalUserIDToPendingID: third-party and agent-developed apps,
//     for customers whose unionid was converted before they became
//     customers.
//   - GetExternalTagID: third-party and agent-developed apps with the
//     客户基础信息 permission.
//   - ToServiceExternalUserID: an agent-developed app not yet upgraded, in
//     a corp that also installed the provider's third-party app.
//   - FromServiceExternalUserID, BatchOpenUserIDToUserID: a self-built
//     app, converting what a provider's app obtained back into the corp's
//     own ids; the members involved must be visible to both apps.
//
// The provider's own conversion, from a unionid of the provider's mini
// program to the external_userids of every authorizing corp, is a suite
// call: wecom.Suite.UnionIDToExternalUserID3rd.
//
// Every method takes a context first and returns typed structs; WeCom's
// errcode != 0 comes back as *wecom.Error. Bad input (a missing id, more ids
// than one call takes) is refused before anything is sent with an error
// matching ErrInvalidArgument.
//
// WeCom's pages on the id upgrade: https://developer.work.weixin.qq.com/document/path/97107
// and https://developer.work.weixin.qq.com/document/path/97108
package idconvert
