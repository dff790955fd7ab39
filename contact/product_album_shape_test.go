package contact_test

import (
	"net/http"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/scrmkit/scrm/contact"
	"github.com/scrmkit/scrm/internal/shapetest"
	"github.com/scrmkit/scrm/wecom"
)

func TestAddProductAlbumShape(t *testing.T) {
	t.Parallel()
	svc, m := shapeService(t)
	m.Expect(shapetest.Call{Method: http.MethodPost, Path: "/cgi-bin/externalcontact/add_product_album",
		Body: `{"description":"世界上最好的商品","price":30000,"product_sn":"xxxxxxxx","attachments":[{"type":"image","image":{"media_id":"MEDIA_ID"}}]}`},
		`{"errcode":0,"errmsg":"ok","product_id":"xxxxxxxxxx"}`)
	id, err := svc.AddProductAlbum(t.Context(), &contact.AddProductAlbumRequest{Description: "世界上最好的商品", Price: 30000, ProductSN: "xxxxxxxx",
		Attachments: []contact.ProductAttachment{contact.ImageAttachment("MEDIA_ID")}})
	require.NoError(t, err)
	assert.Equal(t, "xxxxxxxxxx", id)
}

func TestGetProductAlbumShape(t *testing.T) {
	t.Parallel()
	svc, m := shapeService(t)
	m.Expect(shapetest.Call{Method: http.MethodPost, Path: "/cgi-bin/externalcontact/get_product_album", Body: `{"product_id":"xxxxxxxxxx"}`},
		`{"errcode":0,"errmsg":"ok","product":{"product_id":"xxxxxxxxxx","description":"世界上最好的商品","price":30000,
		"create_time":1600000000,"product_sn":"xxxxxxxx","attachments":[{"type":"image","image":{"media_id":"MEDIA_ID"}}]}}`)
	p, err := svc.GetProductAlbum(t.Context(), "xxxxxxxxxx")
	require.NoError(t, err)
	assert.Equal(t, &contact.ProductAlbum{ProductID: "xxxxxxxxxx", Description: "世界上最好的商品", Price: 30000, ProductSN: "xxxxxxxx",
		CreateTime: wecom.UnixTime(1600000000), Attachments: []contact.ProductAttachment{contact.ImageAttachment("MEDIA_ID")}}, p)
}

func TestListProductAlbumsShape(t *testing.T) {
	t.Parallel()
	svc, m := shapeService(t)
	m.Expect(shapetest.Call{Method: http.MethodPost, Path: "/cgi-bin/externalcontact/get_product_album_list", Body: `{"limit":50,"cursor":"CURSOR"}`},
		`{"errcode":0,"errmsg":"ok","next_cursor":"CURSOR2","product_list":[{"product_id":"xxxxxxxxxx","description":"世界上最好的商品",
		"price":30000,"product_sn":"xxxxxxxx","attachments":[{"type":"image","image":{"media_id":"MEDIA_ID"}}]}]}`)
	resp, err := svc.ListProductAlbums(t.Context(), &contact.ListProductAlbumsRequest{Limit: 50, Cursor: "CURSOR"})
	require.NoError(t, err)
	assert.Equal(t, "CURSOR2", resp.NextCursor)
	require.Len(t, resp.ProductList, 1)
	assert.Equal(t, uint32(30000), resp.ProductList[0].Price)
}

func TestUpdateProductAlbumShape(t *testing.T) {
	t.Parallel()
	svc, m := shapeService(t)
	m.Expect(shapetest.Call{Method: http.MethodPost, Path: "/cgi-bin/externalcontact/update_product_album",
		Body: `{"product_id":"xxxxxxxxxx","description":"世界上最好的商品","price":30000,"product_sn":"xxxxxx","attachments":[{"type":"image","image":{"media_id":"MEDIA_ID"}}]}`}, "")
	require.NoError(t, svc.UpdateProductAlbum(t.Context(), &contact.UpdateProductAlbumRequest{ProductID: "xxxxxxxxxx", Description: "世界上最好的商品",
		Price: wecom.Ptr(uint32(30000)), ProductSN: "xxxxxx", Attachments: []contact.ProductAttachment{contact.ImageAttachment("MEDIA_ID")}}))
	// Only the product id when nothing else changes.
	m.Expect(shapetest.Call{Method: http.MethodPost, Path: "/cgi-bin/externalcontact/update_product_album", Body: `{"product_id":"p2","price":0}`}, "")
	require.NoError(t, svc.UpdateProductAlbum(t.Context(), &contact.UpdateProductAlbumRequest{ProductID: "p2", Price: wecom.Ptr(uint32(0))}))
}

func TestDeleteProductAlbumShape(t *testing.T) {
	t.Parallel()
	svc, m := shapeService(t)
	m.Expect(shapetest.Call{Method: http.MethodPost, Path: "/cgi-bin/externalcontact/delete_product_album", Body: `{"product_id":"xxxxxxxxxx"}`}, "")
	require.NoError(t, svc.DeleteProductAlbum(t.Context(), "xxxxxxxxxx"))
}
