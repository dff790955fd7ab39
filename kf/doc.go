// Package kf is WeChat customer service (微信客服): the accounts customers
// reach from a link on a web page, in a mini program or in 视频号, their
// servicers (接待人员), the sessions between customers and accounts, the
// messages read with sync_msg and sent with send_msg, the customers, the
// 升级服务 recommendations, the statistics and the bot's knowledge base.
//
//	svc := kf.New(client)
//	link, err := svc.AddContactWay(ctx, &kf.AddContactWayRequest{OpenKfID: account, Scene: "pricing_page"})
//	inbox, err := kf.NewInbox(svc, handle, kf.WithWelcome(welcome))
//	inbox.Register(callbackHandler)
//
// # Reading messages: the Inbox
//
// WeCom pushes kf_msg_or_event (callback.KFMsgOrEventEvent) when an account
// has new messages; the push carries a token and no content. The messages
// are read with sync_msg from a cursor the reader keeps. The Inbox does all
// of it: it pulls the pushed account with the push's token, follows
// has_more, keeps the cursor per account in the wecom.Store, advances it
// only past messages the application's function handled, delivers each
// message once (re-reads after a failure or a crash are de-duplicated by
// msgid), lets one instance read an account at a time (the Store's lock),
// polls without a token as WeCom's documented fallback, and reports a
// cursor older than the three days WeCom keeps. See Inbox.
//
// # Sending: the window and the codes
//
// An account may write to a customer only after the customer wrote: within
// 48 hours of their last message, at most five messages (95002, 95001), and
// only while the session is untreated or with the bot (95018).
// Inbox.SendMsg keeps that window per customer in the Store and refuses a
// send outside it before calling WeCom (*SendWindowError). Other replies
// need an event's code, valid once (SendMsgOnEvent): a welcome for a
// customer entering (20 seconds; WithWelcome sends it), a notice when a
// session is queued or taken by a servicer (48 hours), a closing message
// when it ends (20 seconds).
//
// # Media: files, not ids
//
// Wherever WeCom takes a temporary media id (a message's image, voice,
// video or file, a link's thumbnail, a mini program's cover, an account's
// avatar, a knowledge-base answer's image or video), the request also
// takes the file (Image.Upload, WebLink.ThumbUpload,
// AddAccountRequest.Upload, AttachmentMedia.Upload...). A file is sent with
// the media id the Service's wecom.MediaCache holds for it, uploaded once
// and again shortly before WeCom forgets it (three days after the upload),
// so a request built once works on any day; when WeCom answers 40007 for
// it all the same, the file is uploaded again and the request sent once
// more. New takes a cache to share (WithMediaCache). SendMsgOnEvent sends
// text and menus only: it takes no media.
//
// # Sessions
//
// A session is untreated (the customer wrote), with the bot (the API
// answered), queued, with a servicer, or ended. ServiceStateTrans moves it;
// MoveSession reads the state first and refuses a move WeCom's table does
// not allow (CanTransition) before sending it.
//
// # Names
//
// Methods are named after their endpoints (CONTRIBUTING.md): account/add is
// AddAccount, servicer/list ListServicers, service_state/trans
// ServiceStateTrans, customer/batchget CustomerBatchGet (CustomerBatchGetMany
// takes any number of customers), knowledge/list_intent
// KnowledgeListIntents. Every method takes a context first and typed
// requests; WeCom's errcode != 0 comes back as *wecom.Error (the package's
// codes are wecom.CodeKF…), bad input is refused before anything is sent
// with an error matching ErrInvalidArgument that names the limit.
//
// # Which app may call what
//
// A self-built app configured in 微信客服 → 可调用接口的应用, for the accounts
// the admin hands to the API (通过API管理微信客服账号); third-party and
// agent-developed apps with the 微信客服 permissions (获取基础信息 for the
// account list, links, servicer list and customers; 管理账号、分配会话和收发消息
// for the rest; 服务工具 for statistics and 升级服务). The knowledge base is
// for self-built apps only; GetStatistic for 微信客服组件 apps only. Since
// 2023-12-01 the 微信客服 system secret no longer works for new corps: use
// an app's token. The servicers of an account must be in the app's visible
// range.
//
// # What could not be confirmed
//
// The event and message-body fields of sync_msg beyond the names of the
// types, msg_send_fail's fail types 7 to 13, the menu's text item and the
// click id's length, the 获客链接 body and the knowledge-base attachment
// members are read from copies of the pages in other SDKs, which agree with
// each other; the official sections holding them could not be read. The
// rate of sync_msg without a token and the errcodes of a spent event code
// and of a cursor past the three days are not documented; the doc comments
// say where that matters.
//
// WeCom API docs: https://developer.work.weixin.qq.com/document/path/94670
package kf
