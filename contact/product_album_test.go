package contact_test

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/scrmkit/scrm/contact"
	"github.com/scrmkit/scrm/internal/testkit"
	"github.com/scrmkit/scrm/wecom"
)

// WeCom's documented limits, which the package keeps unexported.
const (
	maxProductAttachments    = 9         // images of an album
	maxProductDescriptionLen = 300       // a description, in characters
	maxProductPrice          = 5_000_000 // a price, in fen
	maxProductSNBytes        = 128       // a product code, in bytes
	maxProductPageLimit      = 100       // page size of get_product_album_list
)

// uploadImage uploads a product-album image through the core media upload.
func uploadImage(t *testing.T, svc *contact.Service, name string) string {
	t.Helper()
	m, err := svc.Client().UploadAttachment(t.Context(), wecom.MediaImage, wecom.AttachmentProductAlbum, name, strings.NewReader("\x89PNG fake image bytes"))
	require.NoError(t, err)
	return m.MediaID
}

func TestProductAlbumLifecycle(t *testing.T) {
	t.Parallel()
	srv, c := testkit.Setup(t)
	svc := contact.New(c)
	img1, img2 := uploadImage(t, svc, "cup.png"), uploadImage(t, svc, "cup-side.png")

	id, err := svc.AddProductAlbum(t.Context(), &contact.AddProductAlbumRequest{
		Description: "保温杯 Thermos cup", Price: 12_900, ProductSN: "CUP001",
		Attachments: []contact.ProductAttachment{contact.ImageAttachment(img1)},
	})
	require.NoError(t, err)
	require.NotEmpty(t, id)

	p, err := svc.GetProductAlbum(t.Context(), id)
	require.NoError(t, err)
	assert.Equal(t, id, p.ProductID)
	assert.Equal(t, "保温杯 Thermos cup", p.Description)
	assert.Equal(t, uint32(12_900), p.Price)
	assert.Equal(t, "CUP001", p.ProductSN)
	assert.NotZero(t, p.CreateTime)
	assert.Equal(t, []contact.ProductAttachment{contact.ImageAttachment(img1)}, p.Attachments)

	// Price 0 is sent (not dropped) and the images are replaced; the
	// description and the code stay.
	require.NoError(t, svc.UpdateProductAlbum(t.Context(), &contact.UpdateProductAlbumRequest{
		ProductID: id, Price: wecom.Ptr(uint32(0)),
		Attachments: []contact.ProductAttachment{contact.ImageAttachment(img2), contact.ImageAttachment(img1)},
	}))
	assert.Equal(t, map[string]any{"product_id": id, "price": 0.0, "attachments": []any{
		map[string]any{"type": "image", "image": map[string]any{"media_id": img2}},
		map[string]any{"type": "image", "image": map[string]any{"media_id": img1}},
	}}, testkit.LastBody(t, srv, "/cgi-bin/externalcontact/update_product_album"))
	p, err = svc.GetProductAlbum(t.Context(), id)
	require.NoError(t, err)
	assert.Equal(t, uint32(0), p.Price)
	assert.Equal(t, "CUP001", p.ProductSN)
	assert.Len(t, p.Attachments, 2)

	// Five more, listed two a page.
	for i := range 5 {
		_, err := svc.AddProductAlbum(t.Context(), &contact.AddProductAlbumRequest{Description: "item", Price: uint32(i),
			Attachments: []contact.ProductAttachment{contact.ImageAttachment(img1)}})
		require.NoError(t, err)
	}
	page, err := svc.ListProductAlbums(t.Context(), &contact.ListProductAlbumsRequest{Limit: 2})
	require.NoError(t, err)
	assert.Len(t, page.ProductList, 2)
	assert.NotEmpty(t, page.NextCursor)
	req := &contact.ListProductAlbumsRequest{Limit: 2}
	n := 0
	for a, err := range svc.ListProductAlbumsIter(t.Context(), req) {
		require.NoError(t, err)
		if n == 0 {
			assert.Equal(t, id, a.ProductID)
		}
		n++
	}
	assert.Equal(t, 6, n)
	assert.Empty(t, req.Cursor)
	assert.Equal(t, 4, srv.Count("/cgi-bin/externalcontact/get_product_album_list")) // 1 + 3 pages

	require.NoError(t, svc.DeleteProductAlbum(t.Context(), id))
	_, err = svc.GetProductAlbum(t.Context(), id)
	testkit.WantCode(t, err, wecom.CodeInvalidParameter)
	testkit.WantCode(t, svc.DeleteProductAlbum(t.Context(), id), wecom.CodeInvalidParameter)
}

func TestProductAlbumMedia(t *testing.T) {
	t.Parallel()
	_, c := testkit.Setup(t)
	svc := contact.New(c)
	// A temporary media upload is not an album attachment, nor is a
	// Moments attachment.
	tmp, err := svc.Client().UploadMedia(t.Context(), wecom.MediaImage, "x.png", strings.NewReader("\x89PNG fake image bytes"))
	require.NoError(t, err)
	moment, err := svc.Client().UploadAttachment(t.Context(), wecom.MediaImage, wecom.AttachmentMoment, "m.png", strings.NewReader("\x89PNG fake image bytes"))
	require.NoError(t, err)
	for _, mediaID := range []string{tmp.MediaID, moment.MediaID, "never-uploaded"} {
		_, err := svc.AddProductAlbum(t.Context(), &contact.AddProductAlbumRequest{Description: "d", Price: 1,
			Attachments: []contact.ProductAttachment{contact.ImageAttachment(mediaID)}})
		testkit.WantCode(t, err, 40007)
	}
}

// Every app reads every album; only the creating app changes it.
func TestProductAlbumOwnApp(t *testing.T) {
	t.Parallel()
	srv, c := testkit.Setup(t)
	selfBuilt := contact.New(c)
	thirdParty := installSuite(t, srv)
	id, err := selfBuilt.AddProductAlbum(t.Context(), &contact.AddProductAlbumRequest{Description: "d", Price: 100,
		Attachments: []contact.ProductAttachment{contact.ImageAttachment(uploadImage(t, selfBuilt, "a.png"))}})
	require.NoError(t, err)

	p, err := thirdParty.GetProductAlbum(t.Context(), id)
	require.NoError(t, err)
	assert.Equal(t, "d", p.Description)
	list, err := thirdParty.ListProductAlbums(t.Context(), nil)
	require.NoError(t, err)
	assert.Len(t, list.ProductList, 1)

	testkit.WantCode(t, thirdParty.UpdateProductAlbum(t.Context(), &contact.UpdateProductAlbumRequest{ProductID: id, Description: "mine now"}), 60011)
	testkit.WantCode(t, thirdParty.DeleteProductAlbum(t.Context(), id), 60011)
	require.NoError(t, selfBuilt.UpdateProductAlbum(t.Context(), &contact.UpdateProductAlbumRequest{ProductID: id, Description: "still mine"}))
}

func TestProductAlbumLimits(t *testing.T) {
	t.Parallel()
	srv, c := testkit.Setup(t)
	svc := contact.New(c)
	img := contact.ImageAttachment("media")
	ten := make([]contact.ProductAttachment, maxProductAttachments+1)
	for i := range ten {
		ten[i] = img
	}
	one := []contact.ProductAttachment{img}
	adds := []*contact.AddProductAlbumRequest{
		nil,
		{Price: 1, Attachments: one},
		{Description: strings.Repeat("字", maxProductDescriptionLen+1), Attachments: one},
		{Description: "d", Price: maxProductPrice + 1, Attachments: one},
		{Description: "d", ProductSN: strings.Repeat("a", maxProductSNBytes+1), Attachments: one},
		{Description: "d", ProductSN: "SN-1", Attachments: one},
		{Description: "d", ProductSN: "编号1", Attachments: one},
		{Description: "d"},
		{Description: "d", Attachments: ten},
		{Description: "d", Attachments: []contact.ProductAttachment{{Type: "video", Image: &contact.AttachmentImage{MediaID: "m"}}}},
		{Description: "d", Attachments: []contact.ProductAttachment{{Type: contact.ProductAttachmentImage}}},
	}
	for i, r := range adds {
		_, err := svc.AddProductAlbum(t.Context(), r)
		assert.ErrorIs(t, err, contact.ErrInvalidArgument, "add %d", i)
	}
	updates := []*contact.UpdateProductAlbumRequest{
		nil,
		{Description: "d"},
		{ProductID: "p", Price: wecom.Ptr(uint32(maxProductPrice + 1))},
		{ProductID: "p", ProductSN: "a b"},
		{ProductID: "p", Attachments: ten},
		{ProductID: "p", Description: strings.Repeat("x", maxProductDescriptionLen+1)},
	}
	for i, r := range updates {
		assert.ErrorIs(t, svc.UpdateProductAlbum(t.Context(), r), contact.ErrInvalidArgument, "update %d", i)
	}
	_, err := svc.ListProductAlbums(t.Context(), &contact.ListProductAlbumsRequest{Limit: -1})
	assert.ErrorIs(t, err, contact.ErrInvalidArgument)
	_, err = svc.GetProductAlbum(t.Context(), "")
	assert.ErrorIs(t, err, contact.ErrInvalidArgument)
	assert.ErrorIs(t, svc.DeleteProductAlbum(t.Context(), ""), contact.ErrInvalidArgument)
	assert.Empty(t, srv.Requests(), "invalid input reached WeCom")

	// The limits at their edges pass.
	id, err := svc.AddProductAlbum(t.Context(), &contact.AddProductAlbumRequest{
		Description: strings.Repeat("字", maxProductDescriptionLen), Price: maxProductPrice,
		ProductSN: strings.Repeat("Z9", maxProductSNBytes/2), Attachments: ten[:maxProductAttachments],
	})
	testkit.WantCode(t, err, 40007) // checked by the SDK, then refused by WeCom for the unknown media id
	assert.Empty(t, id)
}

// The fake answers the documented limits itself, for callers that bypass
// the SDK's checks.
func TestProductAlbumFakeLimits(t *testing.T) {
	t.Parallel()
	_, c := testkit.Setup(t)
	svc := contact.New(c)
	img := uploadImage(t, svc, "a.png")
	atts := func(n int) []map[string]any {
		out := make([]map[string]any, n)
		for i := range out {
			out[i] = map[string]any{"type": "image", "image": map[string]any{"media_id": img}}
		}
		return out
	}
	post := func(body map[string]any) error {
		return svc.Client().Post(t.Context(), "/cgi-bin/externalcontact/add_product_album", body, nil)
	}
	for _, body := range []map[string]any{
		{"description": strings.Repeat("字", 301), "price": 1, "attachments": atts(1)},
		{"description": "d", "price": 5_000_001, "attachments": atts(1)},
		{"description": "d", "price": 1, "product_sn": "a-b", "attachments": atts(1)},
		{"description": "d", "price": 1, "attachments": atts(10)},
		{"description": "d", "price": 1, "attachments": atts(0)},
		{"description": "d", "attachments": atts(1)},
		{"description": "d", "price": 1, "attachments": atts(1), "unknown": true},
	} {
		testkit.WantCode(t, post(body), wecom.CodeInvalidParameter)
	}
	require.NoError(t, post(map[string]any{"description": "d", "price": 5_000_000, "attachments": atts(9)}))

	// Above its maximum page size WeCom falls back to the default, 50.
	for range 60 {
		require.NoError(t, post(map[string]any{"description": "d", "price": 1, "attachments": atts(1)}))
	}
	var out struct {
		ProductList []struct {
			ProductID string `json:"product_id"`
		} `json:"product_list"`
	}
	require.NoError(t, svc.Client().Post(t.Context(), "/cgi-bin/externalcontact/get_product_album_list", map[string]any{"limit": 500}, &out))
	assert.Len(t, out.ProductList, 50)
}
