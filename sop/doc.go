// Package sop runs SOP plans (标准作业程序) for the sales staff on WeCom: the
// mass sends to customers (客户群发), the sends to customer groups (客户群群发)
// and the Moments posts (发表到客户朋友圈) a plan schedules, day by day, for a
// layer of customers; who of the members has done each of them; and the
// reminders to those who have not.
//
// WeCom sends nothing by itself: add_msg_template and add_moment_task only
// create tasks, and each member confirms their part in the WeCom client. An
// SOP vendor therefore has to create each step's tasks once (never twice,
// whichever of its instances gets there first), follow every member's part
// of every task, and chase the members who lag behind, with WeCom's own
// reminder where WeCom has one (remind_groupmsg_send, at most 3 times a
// task in 24 hours) and an application message otherwise. A Scheduler does
// those three jobs:
//
//	s, err := sop.NewScheduler(message.New(client), sop.WithNotifier(notifier))
//	plan := &sop.Plan{Name: "layer:vip", Start: monday, Steps: []sop.Step{
//		{Name: "day 1: thank-you", At: 0, MassSend: &message.MassSendRequest{
//			Audience: message.Audience{TagFilter: message.AnyTag(vipTag)}, Text: &message.Text{Content: "..."}}},
//		{Name: "day 3: new collection", At: 48 * time.Hour, Moment: &message.AddMomentTaskRequest{...}},
//	}}
//	runs, err := s.RunDue(ctx, plan)            // from a cron, say every 10 minutes
//	p, err := s.Progress(ctx, plan, "day 1: thank-you") // per member: done or not, reach
//	rs, err := s.Remind(ctx, plan, "day 1: thank-you")  // chase the others
//
// # Layers and plans
//
// A plan is data: its steps and when they are due after the plan's Start.
// Its audience is the step's own: a tag filter names a layer of customers
// (the tags the vendor derives from its sales, transaction and service data
// and marks with contact.MarkTag), WeCom choosing at creation which customers
// carry it and which member sends to each; a Moments post names its senders
// and the tags of the customers who see it; a group send names the groups per
// owner. One plan per layer, or one plan for all layers with a step per
// layer: the Scheduler does not care.
//
// # Once, across instances
//
// Every step's run is kept in a wecom.Store (the client's by default; give
// every instance the same one, redisstore). RunDue claims a due step in the
// Store before creating its tasks, so that of several instances running the
// same plan one creates them; the others skip the step. The run then records
// the tasks WeCom created (mass-send msgids, the Moments job), which
// Progress and Remind read. A run whose instance stopped between the claim
// and the record is left alone (its tasks may exist: the SDK never creates a
// mass send twice); Runs shows it unfinished, and Forget lets the step run
// again once its tasks were looked for (get_groupmsg_list_v2,
// get_moment_list).
//
// # Progress and reminders
//
// Progress reads every task of a run: get_groupmsg_task and
// get_groupmsg_send_result for mass sends (message.Service.MassSendResults),
// get_moment_task for a Moments post, and tells per member how many parts they
// had, how many they did, and for mass sends whom they reached. It never
// waits: a task WeCom is still dispatching, or a Moments job still running,
// is reported in Progress.Unresolved. A Moments job id lives 24 hours in
// WeCom: call Progress (or Remind) at least once within a day of the run, so
// that the post's id is found and recorded.
//
// Remind chases the members who have not done their part: for a mass send,
// WeCom's own reminder (message.Service.RemindGroupMsgSend, which keeps
// WeCom's 3 per 24 hours in the Store); when that is used up, and for Moments
// posts, which WeCom has no reminder for, an application message to the
// member through an appmsg.Notifier (WithNotifier), which keeps WeCom's
// frequency limits of application messages. Each member gets at most one
// application message per call.
package sop
