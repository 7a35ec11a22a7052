// Package static embeds the stylesheets, scripts and images the pages use,
// and names each file by a digest of its content so that browsers can cache
// it forever and still see every change.
package static

import (
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"io/fs"
)

//go:embed css js img
var FS embed.FS

// Versions maps each file's path (css/app.css) to a short digest of its
// content, for cache-busting URLs.
func Versions() (map[string]string, error) {
	v := map[string]string{}
	err := fs.WalkDir(FS, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		data, err := FS.ReadFile(p)
		if err != nil {
			return err
		}
		sum := sha256.Sum256(data)
		v[p] = hex.EncodeToString(sum[:6])
		return nil
	})
	return v, err
}
