// Package appmsg sends application messages (应用消息): what an app says to
// the corp's own members — a task reminder for today's SOP step, "a
// customer deleted you", a weekly report per store, a card with a button
// the backend updates when it is pressed.
//
//	svc := appmsg.New(wecom.New(corpID, appSecret, wecom.WithAgentID(1000002)))
//	resp, err := svc.Send(ctx, &appmsg.SendRequest{
//		ToUser:  []string{"zhangsan"},
//		Message: &appmsg.Markdown{Content: "**3** customers wait for today's follow-up"},
//	})
//
// # Messages
//
// Every message type of message/send is a type here: Text, Image, Voice,
// Video, File, TextCard, News, MpNews, Markdown, MiniProgramNotice,
// TemplateCard (all five card types) and, for third-party apps,
// TemplateMsg. Each is checked against WeCom's limits before anything is
// sent; input refused so matches ErrInvalidArgument.
//
// # Media: files, not ids
//
// An image, voice, video or file message, an mpnews article's thumbnail
// and a template card's attachment line take a temporary media id, which
// WeCom forgets three days after the upload, or the file beside it
// (Image.Upload, Voice.Upload, Video.Upload, File.Upload,
// MpArticle.ThumbUpload, CardHorizontalContent.Upload). A message given a
// file is sent with the media id the Service's wecom.MediaCache holds for
// it, uploaded once and again shortly before it expires, so a message
// built once (a reminder's poster, a weekly report's file) works on any
// day; when WeCom answers 40007 for it all the same, the file is uploaded
// again and the message sent once more. New takes a cache to share
// (WithMediaCache).
//
// A SendRequest names members, departments and tags (at most MaxUsers,
// MaxParties and MaxTags per call) or everyone (ToAll). SendMany splits a
// larger audience into calls and answers one result per recipient.
// WeCom's answer lists the recipients it refused (unknown, outside the
// app's visible range, without a licence): Receipt keeps them, and
// SendMany turns them into per-recipient errors (ErrInvalidRecipient,
// ErrUnlicensed).
//
// A send is a write: never re-sent once it may have reached WeCom (the
// error then matches wecom.ErrOutcomeUnknown). EnableDuplicateCheck makes
// repeating the same request safe within DuplicateCheckInterval.
//
// # Which app, which agent id
//
// The message comes from the app whose client sends it and names that
// app's agent id (wecom.Client.AgentID): a self-built app's client is
// given it with wecom.WithAgentID; a Suite's corp client (third-party or
// agent-developed) knows the one WeCom assigned at installation. Since
// 2022-06-20 third-party and agent-developed apps may not read members'
// names: they write them with the id-translation placeholders UserName and
// DepartmentName (and SendRequest.EnableIDTrans), which WeCom replaces
// with the names when it shows the message.
//
// # Template cards that come back
//
// A member's press of a button (or a vote, a selection, a menu pick)
// reaches the app's callback as a template_card_event
// (callback.TemplateCardEvent, callback.Handler.OnTemplateCard). The card
// can then be updated in two ways:
//
//   - answering the push (被动回复), within WeCom's 5 seconds: the event's
//     ReplyButton greys out the pressed button for that member;
//   - UpdateTemplateCard, with a response code: the one Send answered for
//     an interaction card, or the one the event carried. A code works once
//     and for 72 hours; the Service refuses a code its Store saw used
//     (ErrResponseCodeUsed) or too old (ErrResponseCodeExpired) before
//     anything is sent.
//
// # Frequency
//
// WeCom lets an app send a member at most 30 messages a minute and 1000 an
// hour, and the app at most the corp's account limit × 200 person-times a
// day; it drops the excess without an error. Notifier sends one member at
// a time and keeps count, refusing a message over a limit with a
// *NotifyLimitError (wecom.IsRateLimited) instead of letting WeCom drop it.
//
// WeCom API docs: https://developer.work.weixin.qq.com/document/path/90236
package appmsg
