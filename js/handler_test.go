package js_test

import (
	"io"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"os"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/gosente/gosente/js"
)

// The handler serves each file byte for byte with its type and validator,
// answers a revalidation with 304, and nothing else.
func TestHandler(t *testing.T) {
	srv := httptest.NewServer(http.StripPrefix("/sente/", js.Handler()))
	t.Cleanup(srv.Close)
	for name, ctype := range map[string]string{
		"sente.js":   "text/javascript; charset=utf-8",
		"edn.js":     "text/javascript; charset=utf-8",
		"sente.d.ts": "application/typescript; charset=utf-8",
		"edn.d.ts":   "application/typescript; charset=utf-8",
	} {
		t.Run(name, func(t *testing.T) {
			res, err := http.Get(srv.URL + "/sente/" + name)
			require.NoError(t, err)
			body, err := io.ReadAll(res.Body)
			_ = res.Body.Close()
			require.NoError(t, err)
			require.Equal(t, http.StatusOK, res.StatusCode)
			want, err := os.ReadFile(name)
			require.NoError(t, err)
			require.Equal(t, string(want), string(body))
			require.Equal(t, ctype, res.Header.Get("Content-Type"))
			require.Equal(t, "no-cache", res.Header.Get("Cache-Control"))
			require.Equal(t, "nosniff", res.Header.Get("X-Content-Type-Options"))
			etag := res.Header.Get("ETag")
			require.Regexp(t, `^"[A-Za-z0-9_-]{16}"$`, etag)

			req, err := http.NewRequest(http.MethodGet, srv.URL+"/sente/"+name, nil)
			require.NoError(t, err)
			req.Header.Set("If-None-Match", etag)
			res, err = http.DefaultClient.Do(req)
			require.NoError(t, err)
			_ = res.Body.Close()
			require.Equal(t, http.StatusNotModified, res.StatusCode)
		})
	}
	for _, tc := range []struct {
		method, path string
		code         int
	}{
		{"GET", "/sente/", http.StatusNotFound},
		{"GET", "/sente/handler.go", http.StatusNotFound},
		{"GET", "/sente/package.json", http.StatusNotFound},
		{"GET", "/sente/test/edn.test.js", http.StatusNotFound},
		{"POST", "/sente/sente.js", http.StatusMethodNotAllowed},
		{"HEAD", "/sente/edn.js", http.StatusOK},
	} {
		req, err := http.NewRequest(tc.method, srv.URL+tc.path, nil)
		require.NoError(t, err)
		res, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		_ = res.Body.Close()
		require.Equal(t, tc.code, res.StatusCode, "%s %s", tc.method, tc.path)
	}
}

// FS lists exactly the served files.
func TestFS(t *testing.T) {
	for _, name := range []string{"sente.js", "edn.js", "sente.d.ts", "edn.d.ts"} {
		_, err := fs.ReadFile(js.FS, name)
		require.NoError(t, err, name)
	}
}
