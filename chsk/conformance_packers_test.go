package chsk

import (
	"bufio"
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"
	"github.com/stretchr/testify/require"

	"github.com/gosente/gosente/chsk/wire"
)

// The packer conformance suite replays the client side of real traffic
// between Sente's own ClojureScript client and its JVM server, one file per
// version, packer and transport (internal/golden/testdata/packers, copied
// from shared/golden/packers), against a gosente server set up like that
// reference app with the same packer, and compares every frame and body
// gosente writes with what Sente wrote, byte for byte. The client-id and
// the callback ids are the recording's own, so nothing needs masking; a
// difference is either one of packerDeviations or a mismatch.

// packerRecord is one line of a packer transcript (its README).
type packerRecord struct {
	Seq       int     `json:"seq"`
	Transport string  `json:"transport"`
	Dir       string  `json:"dir"`
	Opcode    int     `json:"opcode"`
	Method    string  `json:"method"`
	URL       string  `json:"url"`
	Status    int     `json:"status"`
	Text      *string `json:"text"`
	B64       *string `json:"b64"`
}

func (r packerRecord) payload(t *testing.T) []byte {
	switch {
	case r.Text != nil:
		return []byte(*r.Text)
	case r.B64 != nil:
		b, err := base64.StdEncoding.DecodeString(*r.B64)
		require.NoError(t, err)
		return b
	}
	return nil
}

// packerDeviations are the named differences, by key.
var packerDeviations = map[string]string{
	"handshake": "the handshake has 3 slots [uid nil nil] (1.17 writes [uid csrf-token] with the token nil here), as with EDN",
}

// packerRow is the outcome of one file.
type packerRow struct {
	file            string
	compared, match int
	deviations      map[string]int
	mismatches      []string
}

// packerOf returns the packer a transcript's name gives (its README's table).
func packerOf(version, name string) wire.Packer {
	format := wire.Format(0)
	if version == "1.17.0" {
		format = wire.Format117
	}
	switch name {
	case "edn":
		return &wire.EDN{Format: format}
	case "transit":
		return wire.Transit{Format: format}
	case "msgpack":
		return wire.MsgPack{}
	case "gzip-edn":
		return wire.Gzip{Packer: &wire.EDN{}}
	case "gzip-msgpack":
		return wire.Gzip{Packer: wire.MsgPack{}}
	}
	panic("unknown packer " + name)
}

// comparePacked compares what gosente wrote with what Sente wrote.
func comparePacked(row *packerRow, p wire.Packer, seq int, got, want []byte) {
	row.compared++
	if bytes.Equal(got, want) {
		row.match++
		return
	}
	deviation := ""
	if g, err := p.Unpack(got); err == nil {
		if w, err := p.Unpack(bytes.TrimPrefix(want, []byte("+"))); err == nil && sameHandshakeUID(g.Payload, w.Payload) {
			deviation = "handshake"
		}
	}
	if deviation == "" {
		row.mismatches = append(row.mismatches, fmt.Sprintf("seq %d: gosente %q, Sente %q", seq, got, want))
		return
	}
	row.deviations[deviation]++
}

// sameHandshakeUID reports whether both are [:chsk/handshake [uid …]]
// events with the same uid (the recording's client-id).
func sameHandshakeUID(a, b any) bool {
	uid := func(v any) (any, bool) {
		ev, ok := v.(wire.Vector)
		if !ok || len(ev) != 2 || ev[0] != wire.Keyword("chsk/handshake") {
			return nil, false
		}
		args, ok := ev[1].(wire.Vector)
		if !ok || len(args) == 0 {
			return nil, false
		}
		return args[0], true
	}
	ua, okA := uid(a)
	ub, okB := uid(b)
	return okA && okB && wire.Equal(ua, ub)
}

// replayPackerFile replays one transcript and returns its row.
func replayPackerFile(t *testing.T, path string) packerRow {
	name := strings.TrimSuffix(filepath.Base(path), ".jsonl") // sente-VERSION-PACKER-TRANSPORT
	rest := strings.TrimPrefix(name, "sente-")
	version := rest[:strings.Index(rest, "-")]
	if strings.HasPrefix(rest, "1.22.0-RC1") {
		version = "1.22.0-RC1"
	}
	transport := rest[strings.LastIndex(rest, "-")+1:]
	packer := strings.TrimSuffix(strings.TrimPrefix(rest, version+"-"), "-"+transport)
	p := packerOf(version, packer)

	f, err := os.Open(path)
	require.NoError(t, err)
	defer f.Close()
	var recs []packerRecord
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		var r packerRecord
		require.NoError(t, json.Unmarshal(sc.Bytes(), &r))
		recs = append(recs, r)
	}
	require.NoError(t, sc.Err())

	opts := refOptions()
	opts.Packer = p
	opts.LongPollTimeout = 2 * time.Second // the reference app's
	opts.KeepAlive = 3 * time.Second
	a := newRefApp(t, opts)
	cookie, token := a.newSession()
	row := packerRow{file: name, deviations: map[string]int{}}
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	if transport == "ws" {
		replayPackerWS(t, ctx, a, p, recs, cookie, token, &row)
	} else {
		replayPackerAjax(t, ctx, a, p, recs, cookie, token, &row)
	}
	return row
}

// clientIDOf returns the client-id a transcript's requests or handshake carry.
func clientIDOf(t *testing.T, p wire.Packer, recs []packerRecord) string {
	for _, r := range recs {
		if r.URL != "" {
			u, err := url.Parse(r.URL)
			require.NoError(t, err)
			if cid := u.Query().Get("client-id"); cid != "" {
				return cid
			}
		}
	}
	env, err := p.Unpack(bytes.TrimPrefix(recs[0].payload(t), []byte("+")))
	require.NoError(t, err)
	return env.Payload.(wire.Vector)[1].(wire.Vector)[0].(string) // [:chsk/handshake [uid …]]
}

func replayPackerWS(t *testing.T, ctx context.Context, a *refApp, p wire.Packer, recs []packerRecord, cookie, token string, row *packerRow) {
	cid := clientIDOf(t, p, recs)
	c, _, err := websocket.Dial(ctx, "ws"+strings.TrimPrefix(a.hs.URL, "http")+"/chsk?client-id="+url.QueryEscape(cid)+"&csrf-token="+url.QueryEscape(token),
		&websocket.DialOptions{HTTPHeader: http.Header{"Cookie": {cookie}}})
	require.NoError(t, err)
	defer c.CloseNow()
	for _, r := range recs {
		if r.Dir == "c2s" {
			typ := websocket.MessageText
			if r.Opcode == 2 {
				typ = websocket.MessageBinary
			}
			require.NoError(t, c.Write(ctx, typ, r.payload(t)))
			continue
		}
		typ, got, err := c.Read(ctx)
		require.NoError(t, err, "seq %d", r.Seq)
		require.Equal(t, r.Opcode, int(typ), "seq %d: frame type", r.Seq)
		comparePacked(row, p, r.Seq, got, r.payload(t))
	}
}

type ajaxAnswer struct {
	status int
	body   []byte
}

func replayPackerAjax(t *testing.T, ctx context.Context, a *refApp, p wire.Packer, recs []packerRecord, cookie, token string, row *packerRow) {
	waiting := map[string][]chan ajaxAnswer{} // by method and URL, oldest first
	for _, r := range recs {
		key := r.Method + " " + r.URL
		if r.Dir == "c2s" {
			u, err := url.Parse(r.URL)
			require.NoError(t, err)
			body := r.payload(t)
			if r.Method == http.MethodPost && r.Text != nil { // 1.17 sends the token in the form: ours
				form, err := url.ParseQuery(string(body))
				require.NoError(t, err)
				if form.Has("csrf-token") {
					form.Set("csrf-token", token)
					body = []byte(form.Encode())
				}
			}
			req, err := http.NewRequestWithContext(ctx, r.Method, a.hs.URL+u.RequestURI(), bytes.NewReader(body))
			require.NoError(t, err)
			req.Header.Set("Cookie", cookie)
			req.Header.Set("X-CSRF-Token", token)
			if r.Method == http.MethodPost {
				if r.B64 != nil {
					req.Header.Set("Content-Type", "application/octet-stream")
				} else {
					req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
				}
			}
			ch := make(chan ajaxAnswer, 1)
			waiting[key] = append(waiting[key], ch)
			go func() {
				resp, err := http.DefaultClient.Do(req)
				if err != nil {
					ch <- ajaxAnswer{status: -1, body: []byte(err.Error())}
					return
				}
				defer resp.Body.Close()
				b, _ := io.ReadAll(resp.Body)
				ch <- ajaxAnswer{resp.StatusCode, b}
			}()
			continue
		}
		require.NotEmpty(t, waiting[key], "seq %d: an answer to no request", r.Seq)
		ch := waiting[key][0]
		waiting[key] = waiting[key][1:]
		var got ajaxAnswer
		select {
		case got = <-ch:
		case <-ctx.Done():
			t.Fatalf("seq %d: no answer", r.Seq)
		}
		require.Equal(t, r.Status, got.status, "seq %d: %s", r.Seq, got.body)
		comparePacked(row, p, r.Seq, got.body, r.payload(t))
	}
}

// packerRows replays every packer transcript.
func packerRows(t *testing.T) []packerRow {
	files, err := filepath.Glob("internal/golden/testdata/packers/*.jsonl")
	require.NoError(t, err)
	require.Len(t, files, 14)
	rows := make([]packerRow, len(files))
	t.Run("packers", func(t *testing.T) { // returns when every file is done
		for i, f := range files {
			t.Run(filepath.Base(f), func(t *testing.T) {
				t.Parallel()
				rows[i] = replayPackerFile(t, f)
			})
		}
	})
	return rows
}

// TestConformancePackers fails on any difference that is not a named
// deviation; -update-conformance writes the results into CONFORMANCE.md
// (see TestConformance).
func TestConformancePackers(t *testing.T) {
	if testing.Short() {
		t.Skip("the packer replay takes a few seconds")
	}
	rows := packerRows(t)
	for _, r := range rows {
		for _, m := range r.mismatches {
			t.Errorf("%s: MISMATCH %s", r.file, m)
		}
		require.Positive(t, r.compared, r.file)
	}
	for _, r := range rows {
		t.Logf("%s: %d compared, %d identical, deviations %v", r.file, r.compared, r.match, r.deviations)
	}
}

// writePackersMarkdown renders the packer section of CONFORMANCE.md.
func writePackersMarkdown(w io.Writer, rows []packerRow) {
	fmt.Fprint(w, "\n## Packers: the real Sente client and server, per packer and transport\n\n"+
		"The client side of real traffic between Sente's own ClojureScript client and its JVM server\n"+
		"(`shared/golden/packers`, one file per version, packer and transport) is replayed against a gosente\n"+
		"server with the same packer (`TestConformancePackers`), and every frame or body gosente writes is\n"+
		"compared with Sente's, byte for byte: the handshake, the reply to a rich `[:test/echo …]`, a push\n"+
		"batch, the answers to events without a callback, and over Ajax the long-poll's `:chsk/timeout`.\n"+
		"The same server with each packer also passes the real client itself in Chromium\n"+
		"(`examples/counter`, `TestRealSenteClientEveryPacker`: 14 runs). The 1.17 transcripts are replayed\n"+
		"against a packer that writes 1.17's `+` envelope (`Format117`), as their reference app does; 1.22's\n"+
		"MessagePack Ajax POST bodies, which its client pads with zeros to 1024 bytes, are read as the JVM\n"+
		"server reads them, ignoring the padding.\n\n"+
		"| transcript | compared | identical | named deviation | MISMATCH |\n|---|---:|---:|---:|---:|\n")
	used := map[string]bool{}
	for _, r := range rows {
		var devs []string
		n := 0
		for k, c := range r.deviations {
			devs = append(devs, fmt.Sprintf("%s ×%d", k, c))
			n += c
			used[k] = true
		}
		sort.Strings(devs)
		dev := "0"
		if n > 0 {
			dev = fmt.Sprintf("%d (%s)", n, strings.Join(devs, ", "))
		}
		fmt.Fprintf(w, "| %s | %d | %d | %s | %d |\n", r.file, r.compared, r.match, dev, len(r.mismatches))
	}
	var keys []string
	for k := range used {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	if len(keys) > 0 {
		fmt.Fprint(w, "\nNamed deviations:\n\n")
		for _, k := range keys {
			fmt.Fprintf(w, "- **%s**: %s.\n", k, packerDeviations[k])
		}
	}
}
