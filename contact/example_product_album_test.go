package contact_test

import (
	"context"
	"fmt"
	"io"
	"strings"

	"github.com/scrmkit/scrm/contact"
	"github.com/scrmkit/scrm/wecom"
	"github.com/scrmkit/scrm/wecom/wecomtest"
)

// A product album: the image goes up through the core attachment upload,
// the price is in fen.
func ExampleService_AddProductAlbum() {
	ctx := context.Background()
	srv := wecomtest.Start() // a fake WeCom; use wecom.New(corpID, secret) for the real one
	defer srv.Close()
	c := srv.Client()
	contacts := contact.New(c)

	if err := addAndListAlbums(ctx, c, contacts, strings.NewReader("\x89PNG...")); err != nil {
		fmt.Println(err)
	}
	// Output:
	// Thermos cup 500 ml: 129.00 yuan
}

// addAndListAlbums is the README's product-album snippet.
func addAndListAlbums(ctx context.Context, c *wecom.Client, contacts *contact.Service, f io.Reader) error {
	img, err := c.UploadAttachment(ctx, wecom.MediaImage, wecom.AttachmentProductAlbum, "cup.png", f)
	if err != nil {
		return err
	}
	_, err = contacts.AddProductAlbum(ctx, &contact.AddProductAlbumRequest{
		Description: "Thermos cup 500 ml",
		Price:       12900, // fen: 129.00 yuan
		ProductSN:   "CUP500",
		Attachments: []contact.ProductAttachment{contact.ImageAttachment(img.MediaID)},
	})
	if err != nil {
		return err
	}
	for p, err := range contacts.ListProductAlbumsIter(ctx, nil) {
		if err != nil {
			return err
		}
		fmt.Printf("%s: %d.%02d yuan\n", p.Description, p.Price/100, p.Price%100)
	}
	return nil
}
