package message

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"time"

	"github.com/scrmkit/scrm/internal/api"
	"github.com/scrmkit/scrm/wecom"
)

// Limits of add_moment_task a caller splits its input by: a post carries at
// most MaxMomentImages images (or one video, or one link) and names at most
// MaxMomentSenders senders.
const (
	MaxMomentImages  = 9
	MaxMomentSenders = 100_000 // visible_range.sender_list.user_list
)

const (
	// MomentTasksPerMinute is how many add_moment_task calls WeCom takes
	// per corp and minute; see wecom.WithRateLimit.
	MomentTasksPerMinute = 10
	// MomentJobLifetime is how long an add_moment_task job can be asked
	// about (96351: the jobid is 「24小时有效」); MomentJob waits at most that
	// long.
	MomentJobLifetime = 24 * time.Hour
)

// ErrMomentJobUnfinished is matched (errors.Is) by MomentJob.Wait's error
// when the job's 24 hours (MomentJobLifetime) end before it finished: the
// wait lasted that long, or WeCom stopped answering for a job id it had
// answered for (a wait started late). The post may still have been created:
// look for it with ListMomentsIter.
var ErrMomentJobUnfinished = errors.New("message: the moment job did not finish within its 24 hours")

// Limits of add_moment_task named where each field is and in the error
// that refuses it.
const (
	// text.content: at most 2000 characters and 4000 bytes of UTF-8, both
	// (96351, updated 2025-09: 「最多支持传入2000个字(4000个字节)」), so 2000
	// Chinese characters (6000 bytes) are too long.
	maxMomentTextChars = 2000
	maxMomentTextBytes = 4000
	maxMomentLinkTitle = 64 // link.title, in bytes
	maxJobIDBytes      = 64 // bytes of a jobid
)

// AddMomentTaskRequest creates a Moments post task (企业发表内容到客户的朋友圈):
// Text and/or Attachments, which are all images (at most 9), or one video,
// or one link. Attachment media come from upload_attachment: a media id
// (three days), or a file (MomentImageUpload, MomentVideoUpload,
// MomentLink.Upload) that AddMomentTask uploads through the MediaCache
// (see Attachment).
type AddMomentTaskRequest struct {
	Text        *Text              `json:"text,omitempty"` // at most 2000 characters and 4000 bytes
	Attachments []MomentAttachment `json:"attachments,omitempty"`
	// VisibleRange: nil means every member in the app's visibility posts to
	// all of his customers.
	VisibleRange *VisibleRange `json:"visible_range,omitempty"`
}

// VisibleRange is who posts and who sees it. Senders only: each sender's
// customers see it. Tags only: the post goes to the members (in the app's
// visibility) who follow customers with those tags. Both: the listed
// senders post and only customers with the tags see it (partly visible).
// Senders outside the app's visibility are dropped and reported in the
// task's result.
type VisibleRange struct {
	SenderList          *SenderList          `json:"sender_list,omitempty"`
	ExternalContactList *ExternalContactList `json:"external_contact_list,omitempty"`
}

// SenderList names members and departments.
type SenderList struct {
	UserList       []string `json:"user_list,omitempty"` // at most 100,000
	DepartmentList []int    `json:"department_list,omitempty"`
}

// ExternalContactList selects customers by corp tag (rule-group tags are not
// supported).
type ExternalContactList struct {
	TagList []string `json:"tag_list,omitempty"`
}

// MomentAttachment is one attachment of a Moments post: MsgType MsgImage,
// MsgVideo or MsgLink and the matching field.
type MomentAttachment struct {
	MsgType MsgType      `json:"msgtype"`
	Image   *MomentMedia `json:"image,omitempty"`
	Video   *MomentMedia `json:"video,omitempty"`
	Link    *MomentLink  `json:"link,omitempty"`
}

// MomentMedia is an image or video uploaded with upload_attachment
// (attachment type Moments). Images: at most 10 MB, 1440×1080 or less
// recommended. Videos: at most 10 MB and 30 s.
type MomentMedia struct {
	MediaID string `json:"media_id"`
	// Upload is the image or video file; each post fills MediaID from the
	// MediaCache (see Attachment).
	Upload *wecom.MediaSource `json:"-"`
}

// MomentLink is a link with a cover image uploaded with upload_attachment.
type MomentLink struct {
	Title   string `json:"title,omitempty"` // at most 64 bytes
	URL     string `json:"url"`
	MediaID string `json:"media_id"` // cover
	// Upload is the cover's image file; each post fills MediaID from the
	// MediaCache (see Attachment).
	Upload *wecom.MediaSource `json:"-"`
}

// MomentImageUpload is an image attachment of a Moments post from a file:
// every post uses the media id the MediaCache holds for it.
func MomentImageUpload(src *wecom.MediaSource) MomentAttachment {
	return MomentAttachment{MsgType: MsgImage, Image: &MomentMedia{Upload: src}}
}

// MomentVideoUpload is a video attachment of a Moments post from a file:
// every post uses the media id the MediaCache holds for it.
func MomentVideoUpload(src *wecom.MediaSource) MomentAttachment {
	return MomentAttachment{MsgType: MsgVideo, Video: &MomentMedia{Upload: src}}
}

func (m *MomentMedia) ok() bool { return m != nil && (m.MediaID != "" || m.Upload != nil) }

func (r *AddMomentTaskRequest) validate() error {
	if (r.Text == nil || r.Text.Content == "") && len(r.Attachments) == 0 {
		return check.Invalidf("a Moments post needs Text or Attachments")
	}
	if r.Text != nil {
		if err := api.FirstErr(check.MaxChars("Text.Content", r.Text.Content, maxMomentTextChars),
			check.MaxBytes("Text.Content", r.Text.Content, maxMomentTextBytes)); err != nil {
			return err
		}
	}
	if vr := r.VisibleRange; vr != nil && vr.SenderList != nil {
		if err := api.MaxItems(check, "VisibleRange.SenderList.UserList", vr.SenderList.UserList, MaxMomentSenders); err != nil {
			return err
		}
	}
	if len(r.Attachments) == 0 {
		return nil
	}
	kind := r.Attachments[0].MsgType
	for i, a := range r.Attachments {
		if a.MsgType != kind {
			return check.Invalidf("Attachments mix %s and %s; a post has images, or one video, or one link", kind, a.MsgType)
		}
		ok := false
		switch a.MsgType {
		case MsgImage:
			ok = a.Image.ok() && a.Video == nil && a.Link == nil
		case MsgVideo:
			ok = a.Video.ok() && a.Image == nil && a.Link == nil
		case MsgLink:
			ok = a.Link != nil && a.Image == nil && a.Video == nil && a.Link.URL != "" && (a.Link.MediaID != "" || a.Link.Upload != nil) &&
				len(a.Link.Title) <= maxMomentLinkTitle
		default:
			return check.Invalidf("Attachments[%d]: MsgType %q is not image, video or link", i, a.MsgType)
		}
		if !ok {
			return check.Invalidf("Attachments[%d]: a %s needs exactly its own object with its media_id or Upload (a link: url, media_id or Upload, title of at most %d bytes)",
				i, a.MsgType, maxMomentLinkTitle)
		}
	}
	switch {
	case kind == MsgImage && len(r.Attachments) > MaxMomentImages:
		return check.Invalidf("Attachments has %d images; WeCom allows at most %d", len(r.Attachments), MaxMomentImages)
	case kind != MsgImage && len(r.Attachments) > 1:
		return check.Invalidf("Attachments has %d %ss; WeCom allows one", len(r.Attachments), kind)
	}
	return nil
}

// AddMomentTask creates a Moments post task and returns its job id (valid
// 24 hours); the task is created asynchronously: MomentJob waits for it.
// WeCom allows 10 a minute per corp (MomentTasksPerMinute).
//
// It is never re-sent once it may have reached WeCom: such an error is a
// *wecom.MaybeCreatedError (matching wecom.ErrOutcomeUnknown); list the window it
// names with ListMomentsIter before creating the post again.
//
// WeCom API docs: https://developer.work.weixin.qq.com/document/path/96351
func (s *Service) AddMomentTask(ctx context.Context, req *AddMomentTaskRequest) (string, error) {
	if req == nil {
		return "", check.Invalidf("request is nil")
	}
	if err := req.validate(); err != nil {
		return "", err
	}
	var out struct {
		JobID string `json:"jobid"`
	}
	body := req
	atts, refs := momentToSend(req.Attachments)
	if refs != nil {
		c := *req
		c.Attachments = atts
		body = &c
	}
	err := api.SendMedia(ctx, s.c, s.media, refs, func() error {
		return api.Create(ctx, s.c, "/cgi-bin/externalcontact/add_moment_task", body, &out, func(since, until time.Time) string {
			return "list get_moment_list (ListMomentsIter) with filter_type=0 " + api.Window(since, until)
		})
	})
	if err != nil {
		return "", err
	}
	return out.JobID, nil
}

// MomentTaskStatus is the state of an add_moment_task job.
type MomentTaskStatus int

const (
	MomentTaskStarted  MomentTaskStatus = 1
	MomentTaskRunning  MomentTaskStatus = 2
	MomentTaskFinished MomentTaskStatus = 3
)

// MomentTaskResult is the state of an add_moment_task job.
type MomentTaskResult struct {
	Status MomentTaskStatus `json:"status"`
	Type   string           `json:"type"` // "add_moment_task"
	// Result is set once Status is MomentTaskFinished.
	Result *MomentTaskOutcome `json:"result,omitempty"`
}

// MomentTaskOutcome is what a finished job did.
type MomentTaskOutcome struct {
	ErrCode  int    `json:"errcode"`
	ErrMsg   string `json:"errmsg"`
	MomentID string `json:"moment_id"`
	// InvalidSenderList names the senders that do not exist or are outside
	// the app's visibility.
	InvalidSenderList *SenderList `json:"invalid_sender_list,omitempty"`
	// InvalidExternalContactList names the tags that are not valid.
	InvalidExternalContactList *ExternalContactList `json:"invalid_external_contact_list,omitempty"`
}

// GetMomentTaskResult returns the state of an add_moment_task job. Only
// jobs already submitted can be queried.
//
// WeCom API docs: https://developer.work.weixin.qq.com/document/path/95094
func (s *Service) GetMomentTaskResult(ctx context.Context, jobID string) (*MomentTaskResult, error) {
	if err := api.FirstErr(check.Required("jobID", jobID), check.MaxBytes("jobID", jobID, maxJobIDBytes)); err != nil {
		return nil, err
	}
	var out MomentTaskResult
	if err := api.Get(ctx, s.c, "/cgi-bin/externalcontact/get_moment_task_result", url.Values{"jobid": {jobID}}, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// MomentJob waits for an add_moment_task job to finish, asking
// get_moment_task_result with growing pauses.
type MomentJob struct {
	s     *Service
	JobID string
	// Interval is the first pause (default 1 s); each next one doubles, up
	// to MaxInterval (default 30 s).
	Interval, MaxInterval time.Duration
	// Sleep pauses for d or until ctx ends (default: a timer). Tests give
	// one that moves a fake clock instead.
	Sleep func(ctx context.Context, d time.Duration) error
}

// MomentJob returns a waiter for the job jobID of AddMomentTask.
func (s *Service) MomentJob(jobID string) *MomentJob {
	return &MomentJob{s: s, JobID: jobID, Interval: time.Second, MaxInterval: 30 * time.Second}
}

// Wait asks for the job's state until it has finished, ctx ends, or the
// job's 24 hours are over: it waited MomentJobLifetime, or WeCom answers an
// error for the job id it answered for before (a job id expires 24 hours
// after AddMomentTask, so a wait started late ends sooner). Both end with an
// error matching ErrMomentJobUnfinished (the second also carries WeCom's
// answer). It returns the outcome; when the job finished with an error
// (result errcode != 0) the outcome comes with that error as a *wecom.Error.
//
// WeCom API docs: https://developer.work.weixin.qq.com/document/path/95094
func (j *MomentJob) Wait(ctx context.Context) (*MomentTaskOutcome, error) {
	b := newBackoff(j.Interval, j.MaxInterval, j.Sleep)
	var waited time.Duration
	seen := false
	for {
		res, err := j.s.GetMomentTaskResult(ctx, j.JobID)
		var we *wecom.Error
		if seen && errors.As(err, &we) && !wecom.IsRateLimited(err) {
			return nil, fmt.Errorf("message: moment job %s is no longer answered for (job ids are valid 24 hours): %w: %w",
				j.JobID, ErrMomentJobUnfinished, err)
		}
		if err != nil {
			return nil, err
		}
		seen = true
		if res.Status == MomentTaskFinished {
			if res.Result == nil {
				return nil, fmt.Errorf("message: moment job %s finished without a result", j.JobID)
			}
			if res.Result.ErrCode != 0 {
				return res.Result, &wecom.Error{Code: res.Result.ErrCode, Msg: res.Result.ErrMsg,
					Path: "/cgi-bin/externalcontact/add_moment_task"}
			}
			return res.Result, nil
		}
		if waited >= MomentJobLifetime {
			return nil, fmt.Errorf("message: moment job %s still not finished after %s: %w", j.JobID, MomentJobLifetime, ErrMomentJobUnfinished)
		}
		d, err := b.pauseAtMost(ctx, MomentJobLifetime-waited) // the last pause ends with the job's life
		if err != nil {
			return nil, err
		}
		waited += d
	}
}

func sleepCtx(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// CancelMomentTask stops a corp Moments post (停止发表企业朋友圈): members who
// have not posted it no longer can. Published posts are not removed.
//
// WeCom API docs: https://developer.work.weixin.qq.com/document/path/97612
func (s *Service) CancelMomentTask(ctx context.Context, momentID string) error {
	if err := check.Required("momentID", momentID); err != nil {
		return err
	}
	return api.Idempotent(ctx, s.c, "/cgi-bin/externalcontact/cancel_moment_task", momentIDBody{MomentID: momentID}, nil)
}

type momentIDBody struct {
	MomentID string `json:"moment_id"`
}

// MomentAttachment uploads src as a Moments attachment now (or finds it in
// the wecom.MediaCache) and returns it as an image or video attachment
// (typ MsgImage or MsgVideo) that holds the media id and src: posts made
// after the id has expired use the cache's new one, so it may be kept.
// MomentImageUpload and MomentVideoUpload build the same attachment without
// uploading until the first post.
//
// WeCom API docs: https://developer.work.weixin.qq.com/document/path/95098
func (s *Service) MomentAttachment(ctx context.Context, typ MsgType, src *wecom.MediaSource) (MomentAttachment, error) {
	mt := wecom.MediaImage
	switch typ {
	case MsgImage:
	case MsgVideo:
		mt = wecom.MediaVideo
	default:
		return MomentAttachment{}, check.Invalidf("a Moments attachment from a file is an image or a video, not %q (a link: MomentLinkAttachment)", typ)
	}
	if src == nil {
		return MomentAttachment{}, check.Invalidf("nil media source")
	}
	md, err := s.media.UploadAttachment(ctx, mt, wecom.AttachmentMoment, src)
	if err != nil {
		return MomentAttachment{}, err
	}
	if typ == MsgVideo {
		return MomentAttachment{MsgType: MsgVideo, Video: &MomentMedia{MediaID: md.MediaID, Upload: src}}, nil
	}
	return MomentAttachment{MsgType: MsgImage, Image: &MomentMedia{MediaID: md.MediaID, Upload: src}}, nil
}

// MomentLinkAttachmentRequest is a link of a Moments post whose cover comes
// from a file.
type MomentLinkAttachmentRequest struct {
	Title string // at most 64 bytes
	URL   string // the page the link opens; required
	// Cover is the cover image, uploaded as a Moments attachment; required.
	Cover *wecom.MediaSource
}

// MomentLinkAttachment uploads req.Cover as a Moments attachment now (or
// finds it in the wecom.MediaCache) and returns a link attachment to
// req.URL titled req.Title that keeps the cover (MomentLink.Upload), so
// that it may be kept past the media id's three days.
//
// WeCom API docs: https://developer.work.weixin.qq.com/document/path/95098
func (s *Service) MomentLinkAttachment(ctx context.Context, req *MomentLinkAttachmentRequest) (MomentAttachment, error) {
	if req == nil {
		return MomentAttachment{}, check.Invalidf("request is nil")
	}
	if err := api.FirstErr(check.Required("URL", req.URL), check.MaxBytes("Title", req.Title, maxMomentLinkTitle)); err != nil {
		return MomentAttachment{}, err
	}
	if req.Cover == nil {
		return MomentAttachment{}, check.Invalidf("a Moments link needs a Cover image")
	}
	md, err := s.media.UploadAttachment(ctx, wecom.MediaImage, wecom.AttachmentMoment, req.Cover)
	if err != nil {
		return MomentAttachment{}, err
	}
	return MomentAttachment{MsgType: MsgLink, Link: &MomentLink{Title: req.Title, URL: req.URL, MediaID: md.MediaID, Upload: req.Cover}}, nil
}
