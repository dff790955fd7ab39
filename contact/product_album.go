package contact

import (
	"context"
	"fmt"
	"iter"
	"time"

	"github.com/scrmkit/scrm/internal/api"
	"github.com/scrmkit/scrm/wecom"
)

// Documented limits of the product album endpoints.
const (
	maxProductDescriptionLen = 300       // description, in characters
	maxProductPrice          = 5_000_000 // price, in fen (50,000 yuan)
	maxProductSNBytes        = 128       // product code (letters and digits)
	maxProductAttachments    = 9         // images of an album
	// maxProductPageLimit is the largest page size of
	// get_product_album_list (its default is 50; WeCom falls back to the
	// default for larger values, the SDK refuses them).
	maxProductPageLimit = 100
)

// ProductAttachmentType is the kind of a product attachment; WeCom accepts
// images only.
type ProductAttachmentType string

// ProductAttachmentImage is the only attachment type WeCom accepts.
const ProductAttachmentImage ProductAttachmentType = "image"

// ProductAttachment is one attachment of a product album.
type ProductAttachment struct {
	Type  ProductAttachmentType `json:"type"`
	Image *AttachmentImage      `json:"image,omitempty"`
}

// AttachmentImage names an image by its media_id. On the way in it must come
// from wecom.Client.UploadAttachment with wecom.AttachmentProductAlbum (it
// lives three days), or be given as the file (Upload); on the way out it is
// a temporary media id to download.
type AttachmentImage struct {
	MediaID string `json:"media_id"`
	// Upload is the image file (at most 10 MB); AddProductAlbum and
	// UpdateProductAlbum fill MediaID from the Service's MediaCache,
	// uploaded as a product album attachment (see Service.MediaCache).
	Upload *wecom.MediaSource `json:"-"`
}

// ImageAttachment is the attachment of the uploaded image mediaID.
func ImageAttachment(mediaID string) ProductAttachment {
	return ProductAttachment{Type: ProductAttachmentImage, Image: &AttachmentImage{MediaID: mediaID}}
}

// ImageUpload is the attachment of an image file: every call that sends
// it uses the media id the MediaCache holds for it (see
// Service.MediaCache).
func ImageUpload(src *wecom.MediaSource) ProductAttachment {
	return ProductAttachment{Type: ProductAttachmentImage, Image: &AttachmentImage{Upload: src}}
}

// ProductAlbum is a product of the corp's product album (商品图册), which
// members send to customers, as get_product_album and
// get_product_album_list return it. Every app can read every album of the
// corp; an app may update and delete only the albums it created.
//
// Images are attachments: give each file as an ImageUpload, which every
// call uploads (or finds in the MediaCache) as a product album attachment,
// or upload each with
//
//	m, err := c.UploadAttachment(ctx, wecom.MediaImage, wecom.AttachmentProductAlbum, "cup.png", f)
//
// and put m.MediaID in an ImageAttachment (it lives three days).
type ProductAlbum struct {
	// ProductID is absent from get_product_album's field table but present
	// in its example; the list has it in both.
	ProductID   string              `json:"product_id"`
	Description string              `json:"description"`
	Price       uint32              `json:"price"` // in fen
	ProductSN   string              `json:"product_sn,omitempty"`
	CreateTime  wecom.UnixTime      `json:"create_time,omitempty"` // get_product_album only
	Attachments []ProductAttachment `json:"attachments"`
}

func validateProductSN(sn string) error {
	if err := check.MaxBytes("ProductSN", sn, maxProductSNBytes); err != nil {
		return err
	}
	for i := 0; i < len(sn); i++ {
		c := sn[i]
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z') {
			return check.Invalidf("ProductSN %q: WeCom accepts letters and digits only", sn)
		}
	}
	return nil
}

func validateProductPrice(price uint32) error {
	if price > maxProductPrice {
		return check.Invalidf("Price is %d fen; WeCom allows at most %d (50,000 yuan)", price, maxProductPrice)
	}
	return nil
}

func validateAttachments(atts []ProductAttachment) error {
	if err := api.MaxItems(check, "Attachments", atts, maxProductAttachments); err != nil {
		return err
	}
	for i, a := range atts {
		if a.Type != ProductAttachmentImage {
			return check.Invalidf("Attachments[%d]: type %q; WeCom accepts %q only", i, a.Type, ProductAttachmentImage)
		}
		if a.Image == nil || a.Image.MediaID == "" && a.Image.Upload == nil {
			return check.Invalidf("Attachments[%d]: the image's MediaID (or its file, Upload) is required", i)
		}
	}
	return nil
}

// AddProductAlbumRequest creates a product album.
type AddProductAlbumRequest struct {
	Description string `json:"description"`          // required: name and selling points, at most 300 characters
	Price       uint32 `json:"price"`                // required, in fen, at most 5,000,000 (50,000 yuan)
	ProductSN   string `json:"product_sn,omitempty"` // letters and digits, at most 128 bytes
	// Attachments are 1 to 9 images.
	Attachments []ProductAttachment `json:"attachments"`
}

func (r *AddProductAlbumRequest) validate() error {
	if r == nil {
		return check.Invalidf("request is nil")
	}
	if r.Description == "" {
		return check.Invalidf("Description is required")
	}
	if len(r.Attachments) == 0 {
		return check.Invalidf("Attachments is required: 1 to %d images", maxProductAttachments)
	}
	return api.FirstErr(check.MaxChars("Description", r.Description, maxProductDescriptionLen),
		validateProductPrice(r.Price), validateProductSN(r.ProductSN), validateAttachments(r.Attachments))
}

// AddProductAlbum creates a product album and returns its product_id. It is
// never re-sent once it may have reached WeCom: such an error is a
// *wecom.MaybeCreatedError (matching wecom.ErrOutcomeUnknown); look for its
// description in ListProductAlbumsIter before creating it again. Images
// given as files (ImageUpload) are sent with the media ids the MediaCache
// holds for them (see Service.MediaCache).
//
// WeCom API docs: https://developer.work.weixin.qq.com/document/path/95096
func (s *Service) AddProductAlbum(ctx context.Context, req *AddProductAlbumRequest) (string, error) {
	if err := req.validate(); err != nil {
		return "", err
	}
	var out productIDBody
	body := *req
	var refs []api.MediaRef
	body.Attachments, refs = productAttachmentsToSend(req.Attachments)
	err := api.SendMedia(ctx, s.c, s.media, refs, func() error {
		return api.Create(ctx, s.c, "/cgi-bin/externalcontact/add_product_album", &body, &out, func(since, until time.Time) string {
			return fmt.Sprintf("list get_product_album_list (ListProductAlbumsIter) and look for the description %q (GetProductAlbum gives its create_time, %s)",
				req.Description, api.Window(since, until))
		})
	})
	if err != nil {
		return "", err
	}
	return out.ProductID, nil
}

type productIDBody struct {
	ProductID string `json:"product_id"`
}

// GetProductAlbum returns one product album of the corp.
//
// WeCom API docs: https://developer.work.weixin.qq.com/document/path/95096
func (s *Service) GetProductAlbum(ctx context.Context, productID string) (*ProductAlbum, error) {
	if err := check.Required("productID", productID); err != nil {
		return nil, err
	}
	var out struct {
		Product ProductAlbum `json:"product"`
	}
	if err := api.Read(ctx, s.c, "/cgi-bin/externalcontact/get_product_album", productIDBody{productID}, &out); err != nil {
		return nil, err
	}
	return &out.Product, nil
}

// ListProductAlbumsRequest pages through the product albums.
type ListProductAlbumsRequest struct {
	// Limit is the page size: 0 for WeCom's default (50), at most 100. The
	// page says WeCom takes its default for a larger one; it is sent as
	// 100 (api.ClampLimit).
	Limit  int    `json:"limit,omitempty"`
	Cursor string `json:"cursor,omitempty"`
}

// ListProductAlbumsResponse is one page of product albums.
type ListProductAlbumsResponse struct {
	NextCursor  string         `json:"next_cursor"` // "" on the last page
	ProductList []ProductAlbum `json:"product_list"`
}

// ListProductAlbums returns one page of product albums. req may be nil. A
// self-built app's page holds what its visible range allows.
//
// WeCom API docs: https://developer.work.weixin.qq.com/document/path/95096
func (s *Service) ListProductAlbums(ctx context.Context, req *ListProductAlbumsRequest) (*ListProductAlbumsResponse, error) {
	var body ListProductAlbumsRequest
	if req != nil {
		body = *req
	}
	var err error
	if body.Limit, err = api.ClampLimit(check, "Limit", body.Limit, maxProductPageLimit); err != nil {
		return nil, err
	}
	var out ListProductAlbumsResponse
	if err := api.Read(ctx, s.c, "/cgi-bin/externalcontact/get_product_album_list", &body, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// ListProductAlbumsIter yields every product album, starting at req.Cursor.
// req may be nil and is not modified.
//
// WeCom API docs: https://developer.work.weixin.qq.com/document/path/95096
func (s *Service) ListProductAlbumsIter(ctx context.Context, req *ListProductAlbumsRequest) iter.Seq2[*ProductAlbum, error] {
	return api.Iter(ctx, req, s.ListProductAlbums, func(r *ListProductAlbumsRequest) *string { return &r.Cursor },
		func(p *ListProductAlbumsResponse) ([]ProductAlbum, string) { return p.ProductList, p.NextCursor })
}

// UpdateProductAlbumRequest changes a product album. Only ProductID is
// required: zero fields are not sent and keep what is there (so a product
// code can be replaced but not removed).
type UpdateProductAlbumRequest struct {
	ProductID   string  `json:"product_id"`
	Description string  `json:"description,omitempty"` // at most 300 characters
	Price       *uint32 `json:"price,omitempty"`       // in fen; nil keeps the price (wecom.Ptr(uint32(0)) sends 0)
	ProductSN   string  `json:"product_sn,omitempty"`
	// Attachments, when not empty, replace the images (at most 9).
	Attachments []ProductAttachment `json:"attachments,omitempty"`
}

func (r *UpdateProductAlbumRequest) validate() error {
	if r == nil {
		return check.Invalidf("request is nil")
	}
	errs := []error{check.Required("ProductID", r.ProductID), check.MaxChars("Description", r.Description, maxProductDescriptionLen),
		validateProductSN(r.ProductSN), validateAttachments(r.Attachments)}
	if r.Price != nil {
		errs = append(errs, validateProductPrice(*r.Price))
	}
	return api.FirstErr(errs...)
}

// UpdateProductAlbum changes a product album this app created. The client
// repeats it after a failure in transit: repeating it leaves the same album.
// Images given as files are sent as AddProductAlbum sends them.
//
// WeCom API docs: https://developer.work.weixin.qq.com/document/path/95096
func (s *Service) UpdateProductAlbum(ctx context.Context, req *UpdateProductAlbumRequest) error {
	if err := req.validate(); err != nil {
		return err
	}
	body := *req
	var refs []api.MediaRef
	body.Attachments, refs = productAttachmentsToSend(req.Attachments)
	return api.SendMedia(ctx, s.c, s.media, refs, func() error {
		return api.Idempotent(ctx, s.c, "/cgi-bin/externalcontact/update_product_album", &body, nil)
	})
}

// DeleteProductAlbum deletes a product album this app created. The client
// repeats it after a failure in transit; when the first attempt had deleted
// the album, the repetition is told it does not exist.
//
// WeCom API docs: https://developer.work.weixin.qq.com/document/path/95096
func (s *Service) DeleteProductAlbum(ctx context.Context, productID string) error {
	if err := check.Required("productID", productID); err != nil {
		return err
	}
	return api.Idempotent(ctx, s.c, "/cgi-bin/externalcontact/delete_product_album", productIDBody{productID}, nil)
}
