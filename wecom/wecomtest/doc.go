// Package wecomtest is an in-process fake WeCom (企业微信) for tests,
// examples and commands, in the manner of net/http/httptest: a Server on
// loopback that answers WeCom's API, holds a world of corps and app
// templates in memory, and plays the people in it (a customer scanning a
// code, a member confirming a mass send, an admin installing an app),
// pushing to your callback URL what WeCom would push.
//
// It speaks WeCom's JSON from request and response types of its own and
// imports no API package of the SDK (only package wecom): a wrong field
// name in one of their request structs is refused here (unknown fields
// answer 40058) instead of being hidden by a struct both sides share. The
// fake enforces the rules of WeCom's pages (limits, errcodes, windows,
// who may call what); each behaviour's doc comment names the rule and its
// page.
//
// # Where to start
//
// NewServer starts a Server for a test and closes it when the test ends;
// Start starts one for a program (an example, a command serving a fake
// WeCom), which closes it with Close. Every Server starts with one corp,
// srv.CorpID, whose self-built app has the secret srv.Secret.
//
//	srv := wecomtest.NewServer(t)
//	c := srv.Client()            // a *wecom.Client for srv.CorpID, wired to the fake
//	corp := srv.Corp(srv.CorpID) // the corp's handle: its people and its pushes
//	corp.AddStaff("zhangsan")
//
// # The map
//
// The Server is the transport, like an httptest.Server:
//
//	URL, Client, ClientFor, ClientOptions, HTTPClient   wire clients to it (retrying fast: FastRetry)
//	Fail, ClearFaults                                    inject errcodes, HTTP errors, latency, dropped connections
//	SetRateLimit                                         a per-corp frequency limit per path (45009)
//	Requests, Count, ResetRequests                       the log of what it received
//	Close                                                stop it
//	AddCorp, AddSuite, AddProvider                       register the parties WeCom knows
//	Seed                                                 build a World (corps, staff, tags, customers, ways, groups)
//	RevokeProviderTokens                                 invalidate a provider's tokens (40082)
//	Corp, Suite                                          the handles below
//
// Everything else is reached through handles. A handle only names a corp
// or a suite: for an id the server does not know, acts answer an error
// (ErrNotFound) and reads answer zero values.
//
//	Corp         srv.Corp(id)       the app's tokens (ExpireTokens, RevokeTokens, TokenFetches) and
//	                                secret (SetSecret); the callback URL (SetCallback, Pusher); members
//	                                (AddStaff, ResignStaff, SetUnlicensed, SetConsoleWelcome); customers
//	                                (SeedCustomers, ScanContactWay, MemberTagsCustomer,
//	                                MemberDeletesCustomer, CustomerDeletesMember, Relation,
//	                                WaitRelation, Followers, CompleteTakeovers, RefuseTakeover,
//	                                AddServedContact, LinkUnionID); uploads (Media; refused with
//	                                40007 three days after the upload, on the server's clock)
//	GroupChats   corp.GroupChats()  customer groups: Create, Join, Leave, SetOwner, Rename, SetNotice,
//	                                Dismiss, JoinViaJoinWay; their change_external_chat events (Events,
//	                                DropEvents, DeliverEvents); SetCapacity, SetJoinWayQuota, SetLag
//	Acquisition  corp.Acquisition() acquisition links (获客助手): GrantQuota, TapLink, CustomerMessage,
//	                                MakeLinkUnavailable, DeleteLinkInAdmin, PushQuotaExpireSoon; Balance,
//	                                ExpiringQuotas, LinkApp, SetMarketingApp
//	Messages     corp.Messages()    mass sends (ConfirmMassSend, MassSendsReceived), welcome codes
//	                                (IssueWelcomeCode, WelcomeCode, WelcomeByOtherApp, WelcomesSent,
//	                                WaitWelcome), Moments (PublishMoment, AddMomentReaction)
//	Directory    corp.Directory()   the address book: AddDepartment, AddMember, TagMembers, SetUnlicensed,
//	                                GrantNames; read with each app kind's visibility
//	AppMessages  corp.AppMessages() application messages: Received (what a member got), PressButton (a
//	                                template card's button, pushing template_card_event), SetAgentID
//	KF           corp.KF()          WeChat customer service (微信客服): AddAccountInAdmin; customers who
//	                                OpenLink, Write (KFText, KFImage...) and Recall; SetServicerStatus;
//	                                Session, Sent, Accounts, Servicers; SetSyncPageSize, SetUpgradeService
//	Suite        srv.Suite(id)      an app template (third-party or agent-developed): tickets
//	                                (IssueTicket, PushTicket, PushNewTicket, StartTicketPush), Install,
//	                                Authorize, ChangeAuth, Uninstall, ResetPermanentCode; suite tokens
//	                                (ExpireTokens, RevokeTokens, TokenFetches, CorpTokenFetches)
//	Pusher       NewPusher(...)     WeCom's side of any callback URL: encrypts, signs, POSTs, re-sends
//	                                (Push), checks the URL (VerifyURL)
//
// # Acts and pushes
//
// A handle's methods named for what someone does (a customer scans, a
// member resigns, an admin installs) change the fake's state as WeCom
// would. When the corp or suite has a callback URL (SetCallback), they also
// push the events WeCom pushes for them, encrypted with its Token and
// EncodingAESKey, in WeCom's order, and return the push error last: the
// state has changed even when a push failed, as WeCom does not undo what it
// could not report. Without a callback they push nothing. Methods named
// Push… exist only to push and need a callback; Set… methods configure the
// fake; the others read it.
//
// # Playing a scenario
//
// A customer scans a contact way (联系我) and the app receives
// add_external_contact with the way's state and a welcome code, valid 20
// seconds, once:
//
//	corp.SetCallback(callbackURL, token, aesKey)
//	scan, err := corp.ScanContactWay(ctx, configID, "") // "": a new WeChat user
//	// scan.ExternalUserID follows scan.UserID with scan.State;
//	// corp.Messages().WelcomeCode(scan.WelcomeCode) is WelcomeCodeValid
//
// A customer joins a group by its join way (加入群聊), and the app receives
// change_external_chat update/add_member:
//
//	join, err := corp.GroupChats().JoinViaJoinWay(ctx, joinWayConfigID, "")
//
// A mass send reaches customers only once its sender confirms it:
//
//	err := corp.Messages().ConfirmMassSend(msgID, "zhangsan")
//	// get_groupmsg_send_result now reports status 1 for each customer
//
// A member resigns; after resigned/transfer_customer the takeover waits 24
// hours, or completes at once:
//
//	err := corp.ResignStaff("zhangsan") // customers appear in get_unassigned_list
//	n := corp.CompleteTakeovers()
//
// or a customer refuses it (status 3, transfer_fail pushed):
//
//	err := corp.RefuseTakeover(ctx, "wmEXT")
//
// An app template receives its tickets and installs on its command URL:
//
//	suite := srv.AddSuite(suiteID, suiteSecret).SetCallback(commandURL, token, aesKey)
//	ticket, err := suite.PushNewTicket(ctx)             // suite_ticket
//	authCode, err := suite.Install(ctx, corpID, "")     // create_auth
//
// Anything else WeCom pushes goes through a Pusher, with or without a
// Server; the …XML functions build the decrypted messages:
//
//	p := wecomtest.NewPusher(callbackURL, token, aesKey, corpID)
//	res, err := p.Push(ctx, wecomtest.AddExternalContactXML(corpID, "zhangsan", "wmEXT", "state", "", time.Now()))
//
// A customer deletes a member (or a member a customer): the relation goes,
// del_follow_user (or del_external_contact) is pushed, and a later mass
// send reports the customer not a friend (status 2):
//
//	err := corp.CustomerDeletesMember(ctx, "wmEXT", "zhangsan")
//
// A test of an asynchronous path waits for its outcome instead of polling:
//
//	w, err := corp.Messages().WaitWelcome(ctx, scan.ExternalUserID)
//	rel, err := corp.WaitRelation(ctx, scan.UserID, scan.ExternalUserID, func(r wecomtest.Relation) bool { return r.Remark != "" })
//
// The package's Examples run each of these against a callback.Handler.
//
// # Serving it to others
//
// A program serves the fake to people who do not write Go (`scrm fake`):
// Start with WithListener on the address it chose, Seed a World read from a
// file, and let them play the people through the control API, JSON over HTTP
// under /wecomtest/ (GET /wecomtest/world; POST /wecomtest/corps/{corp}/scan,
// /join, /confirm-mass-send, /push; PUT /wecomtest/corps/{corp}/callback),
// which does what the handles do.
//
// # Time
//
// WithClock gives the Server a clock of the test's own: token expiry,
// welcome codes, suite tickets, takeovers, mass-send months, statistics
// days and quota expiry all read it, so tests move it instead of sleeping.
package wecomtest
