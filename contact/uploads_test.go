package contact_test

import (
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/scrmkit/scrm/contact"
	"github.com/scrmkit/scrm/internal/testkit"
	"github.com/scrmkit/scrm/wecom"
	"github.com/scrmkit/scrm/wecom/wecomtest"
)

const (
	pathUpload       = "/cgi-bin/media/upload"
	pathUploadAttach = "/cgi-bin/media/upload_attachment"
	pathAddAlbum     = "/cgi-bin/externalcontact/add_product_album"
	day              = 24 * time.Hour
)

// onClock is a fake WeCom with member "doc" and a Service on one moved
// clock: uploads are dated, and expire, on it.
func onClock(t *testing.T) (*wecomtest.Server, *contact.Service, *testkit.Clock) {
	t.Helper()
	clk := testkit.NewClock(time.Time{})
	srv, c := testkit.Setup(t, testkit.WithClock(clk), testkit.WithClientOptions(wecom.WithClock(clk.Now)), testkit.WithStaff("doc"))
	return srv, contact.New(c), clk
}

func image(name string) *wecom.MediaSource {
	return wecom.MediaFromBytes(name, []byte("\x89PNG "+name))
}

// A remark's picture, a product album's images and a contact way's
// closing message built once with files work on day 1 and on day 4: each
// file is uploaded once a day it is needed (the album's as an
// upload_attachment of the product album) and never written into the
// caller's request.
func TestUploads_RequestsBuiltOnceWorkOnDayFour(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	srv, svc, clk := onClock(t)
	ext := testkit.Seed(t, srv, 1, "doc")[0]
	remark := &contact.RemarkRequest{UserID: "doc", ExternalUserID: ext, RemarkPicUpload: image("card.png")}
	album := &contact.AddProductAlbumRequest{Description: "保温杯", Price: 12_900,
		Attachments: []contact.ProductAttachment{contact.ImageUpload(image("cup.png")), contact.ImageUpload(image("cup-side.png"))}}
	concl := &contact.Conclusions{Image: &contact.ConclusionImage{Upload: image("bye.png")},
		MiniProgram: &contact.ConclusionMiniProgram{Title: "Shop", AppID: "wx1", Page: "/index", PicUpload: image("cover.png")}}
	var sentPics []any

	for i, when := range []string{"day 1", "day 4"} {
		if i == 1 {
			clk.Advance(3 * day)
		}
		require.NoError(t, svc.Remark(ctx, remark), when)
		sentPics = append(sentPics, testkit.LastBody(t, srv, pathRemark)["remark_pic_mediaid"])
		id, err := svc.AddProductAlbum(ctx, album)
		require.NoError(t, err, when)
		require.NoError(t, svc.UpdateProductAlbum(ctx, &contact.UpdateProductAlbumRequest{ProductID: id,
			Attachments: album.Attachments[1:]}), when)
		way, err := svc.AddContactWay(ctx, &contact.AddContactWayRequest{Type: contact.ContactWaySingle, Scene: contact.SceneQRCode,
			User: []string{"doc"}, IsTemp: true, Conclusions: concl})
		require.NoError(t, err, when)
		require.NoError(t, svc.UpdateContactWay(ctx, &contact.UpdateContactWayRequest{ConfigID: way.ConfigID, Conclusions: concl}), when)
		assert.Equal(t, 3*(i+1), srv.Count(pathUpload), "%s: the remark picture, the closing image and the cover uploaded once each", when)
		assert.Equal(t, 2*(i+1), srv.Count(pathUploadAttach), "%s: the two album images uploaded once each", when)
	}
	require.Len(t, sentPics, 2)
	assert.NotEmpty(t, sentPics[0])
	assert.NotEqual(t, sentPics[0], sentPics[1], "day 4 sent the expired picture")
	assert.Empty(t, remark.RemarkPicMediaID, "the caller's request is left as it was")
	assert.Empty(t, album.Attachments[0].Image.MediaID)
	assert.Empty(t, concl.Image.MediaID)
	assert.Empty(t, concl.MiniProgram.PicMediaID)
}

// The fake refuses a media id three days after its upload with WeCom's
// 40007 (a remark picture, an album image, a closing message's image);
// the same content given as a file is uploaded again and accepted.
func TestUploads_AFourDayOldMediaIDIsRefusedAFileIsNot(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	srv, svc, clk := onClock(t)
	ext := testkit.Seed(t, srv, 1, "doc")[0]
	png := "\x89PNG business card"
	raw, err := svc.Client().UploadMedia(ctx, wecom.MediaImage, "card.png", strings.NewReader(png))
	require.NoError(t, err)
	attach, err := svc.Client().UploadAttachment(ctx, wecom.MediaImage, wecom.AttachmentProductAlbum, "cup.png", strings.NewReader(png))
	require.NoError(t, err)
	clk.Advance(4 * day)

	err = svc.Remark(ctx, &contact.RemarkRequest{UserID: "doc", ExternalUserID: ext, RemarkPicMediaID: raw.MediaID})
	testkit.WantCode(t, err, wecom.CodeInvalidMediaID)
	_, err = svc.AddProductAlbum(ctx, &contact.AddProductAlbumRequest{Description: "保温杯", Price: 1,
		Attachments: []contact.ProductAttachment{contact.ImageAttachment(attach.MediaID)}})
	testkit.WantCode(t, err, wecom.CodeInvalidMediaID)
	_, err = svc.AddContactWay(ctx, &contact.AddContactWayRequest{Type: contact.ContactWaySingle, Scene: contact.SceneQRCode,
		User: []string{"doc"}, IsTemp: true, Conclusions: &contact.Conclusions{Image: &contact.ConclusionImage{MediaID: raw.MediaID}}})
	testkit.WantCode(t, err, wecom.CodeInvalidMediaID)

	require.NoError(t, svc.Remark(ctx, &contact.RemarkRequest{UserID: "doc", ExternalUserID: ext,
		RemarkPicUpload: wecom.MediaFromBytes("card.png", []byte(png))}))
	assert.NotEqual(t, raw.MediaID, testkit.LastBody(t, srv, pathRemark)["remark_pic_mediaid"])
}

// When WeCom refuses a media id the cache still holds (40007: the
// client's clock is behind WeCom's), the file is uploaded again and the
// create sent once more: one album is created.
func TestUploads_ARefusedCachedMediaIDIsUploadedAgain(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	wecomClock := testkit.NewClock(time.Time{})
	ours := testkit.NewClock(wecomClock.Now().Add(-day)) // a day behind
	srv, c := testkit.Setup(t, testkit.WithClock(wecomClock), testkit.WithClientOptions(wecom.WithClock(ours.Now)))
	svc := contact.New(c)
	req := &contact.AddProductAlbumRequest{Description: "保温杯", Price: 1,
		Attachments: []contact.ProductAttachment{contact.ImageUpload(image("cup.png"))}}
	_, err := svc.AddProductAlbum(ctx, req)
	require.NoError(t, err)
	wecomClock.Advance(3 * day)
	ours.Advance(3 * day) // the cache thinks the id has a day left

	_, err = svc.AddProductAlbum(ctx, req)
	require.NoError(t, err)
	assert.Equal(t, 2, srv.Count(pathUploadAttach))
	assert.Equal(t, 3, srv.Count(pathAddAlbum), "the refused create is sent once more")
	list, err := svc.ListProductAlbums(ctx, nil)
	require.NoError(t, err)
	assert.Len(t, list.ProductList, 2, "one album a day")
}

// A create that may have reached WeCom is never sent again, files or not.
func TestUploads_ACreateThatMayHaveLandedIsNotSentAgain(t *testing.T) {
	t.Parallel()
	srv, svc, _ := onClock(t)
	srv.Fail(pathAddAlbum, wecomtest.Fault{Drop: true})
	_, err := svc.AddProductAlbum(t.Context(), &contact.AddProductAlbumRequest{Description: "保温杯", Price: 1,
		Attachments: []contact.ProductAttachment{contact.ImageUpload(image("cup.png"))}})
	var mc *wecom.MaybeCreatedError
	require.ErrorAs(t, err, &mc)
	assert.Equal(t, 1, srv.Count(pathAddAlbum))
}
