// Package js embeds gosente's dependency-free browser client (sente.js and
// its EDN codec edn.js, ES modules with TypeScript declarations) and serves
// it, so a Go app can hand its pages the client without a build step:
//
//	mux.Handle("GET /sente/", http.StripPrefix("/sente/", js.Handler()))
//
// and in the page:
//
//	<script type="module">
//	  import { connect } from '/sente/sente.js';
//	  const chsk = connect('/chsk', { onEvent: (ev) => console.log(ev) });
//	</script>
//
// The same files form an npm package (package.json in this folder); its
// README.md documents the client's API.
package js

import (
	"bytes"
	"crypto/sha256"
	"embed"
	"encoding/base64"
	"io/fs"
	"net/http"
	"path"
	"time"
)

//go:embed sente.js edn.js sente.d.ts edn.d.ts
var files embed.FS

// FS holds the client's files at its root: sente.js, edn.js and their
// TypeScript declarations sente.d.ts and edn.d.ts. sente.js imports
// ./edn.js, so serve both from one directory.
var FS fs.FS = files

// servedFile is one file Handler serves, with its validator.
type servedFile struct {
	body        []byte
	etag        string
	contentType string
}

// Handler returns an http.Handler that serves the client's files by name
// (sente.js, edn.js, sente.d.ts, edn.d.ts) at the root of the path it sees:
// mount it with http.StripPrefix. Other paths get 404, other methods than
// GET and HEAD 405. Responses carry a strong ETag and Cache-Control:
// no-cache, so browsers revalidate and get 304 until the files change.
func Handler() http.Handler {
	served := make(map[string]servedFile)
	entries, _ := fs.ReadDir(files, ".")
	for _, e := range entries {
		body, err := fs.ReadFile(files, e.Name())
		if err != nil {
			panic("js: embedded file unreadable: " + err.Error()) // cannot happen: embed.FS
		}
		sum := sha256.Sum256(body)
		ct := "text/javascript; charset=utf-8"
		if path.Ext(e.Name()) == ".ts" {
			ct = "application/typescript; charset=utf-8"
		}
		served[e.Name()] = servedFile{
			body:        body,
			etag:        `"` + base64.RawURLEncoding.EncodeToString(sum[:12]) + `"`,
			contentType: ct,
		}
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		f, ok := served[r.URL.Path]
		if !ok {
			http.NotFound(w, r)
			return
		}
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			w.Header().Set("Allow", "GET, HEAD")
			http.Error(w, "Method Not Allowed", http.StatusMethodNotAllowed)
			return
		}
		h := w.Header()
		h.Set("Content-Type", f.contentType)
		h.Set("Cache-Control", "no-cache")
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("ETag", f.etag)
		http.ServeContent(w, r, "", time.Time{}, bytes.NewReader(f.body))
	})
}
