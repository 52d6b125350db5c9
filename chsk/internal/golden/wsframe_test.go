package golden

import (
	"bufio"
	"bytes"
	"errors"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestFrameRoundTrip(t *testing.T) {
	for _, n := range []int{0, 1, 125, 126, 65535, 65536} {
		f := wsFrame{Fin: true, Opcode: opBinary, Payload: bytes.Repeat([]byte{0xA5}, n)}
		var buf bytes.Buffer
		require.NoError(t, writeClientFrame(&buf, f, [4]byte{1, 2, 3, 4}))
		raw := buf.Bytes()
		require.Equal(t, byte(0x82), raw[0])
		require.NotZero(t, raw[1]&0x80, "client frames are masked")
		got, err := readFrame(bufio.NewReader(&buf))
		require.NoError(t, err)
		require.True(t, got.Masked)
		require.Equal(t, f.Payload, got.Payload, "n=%d", n)
	}
}

func TestReadFrameErrors(t *testing.T) {
	for name, raw := range map[string][]byte{
		"long ping":      append([]byte{0x89, 126, 0, 200}, make([]byte, 200)...),
		"fragmented ctl": {0x09, 0},
		"huge":           {0x82, 127, 0, 0, 1, 0, 0, 0, 0, 0},
		"truncated":      {0x81, 5, 'a'},
		"short length":   {0x81, 126, 1},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := readFrame(bufio.NewReader(bytes.NewReader(raw)))
			require.Error(t, err)
		})
	}
	_, err := readFrame(bufio.NewReader(bytes.NewReader([]byte{0x89, 126, 0, 200})))
	require.True(t, errors.Is(err, errProtocol))
	_, err = readFrame(bufio.NewReader(bytes.NewReader([]byte{0x82, 127, 0, 0, 1, 0, 0, 0, 0, 0})))
	require.True(t, errors.Is(err, errFrameTooLarge))
}

func TestRenderFrame(t *testing.T) {
	for want, f := range map[string]wsFrame{
		`+[:chsk/ws-ping]`:           {Fin: true, Opcode: opText, Payload: []byte(`+[:chsk/ws-ping]`)},
		"[close] 1000":               {Fin: true, Opcode: opClose, Payload: []byte{3, 232}},
		`[close] 1001 "bye"`:         {Fin: true, Opcode: opClose, Payload: []byte{3, 233, 'b', 'y', 'e'}},
		"[close]":                    {Fin: true, Opcode: opClose},
		"[pong] hi":                  {Fin: true, Opcode: opPong, Payload: []byte("hi")},
		"[binary] AAE=":              {Fin: true, Opcode: opBinary, Payload: []byte{0, 1}},
		"x [not final]":              {Opcode: opText, Payload: []byte("x")},
		"x [rsv 4] [masked]":         {Fin: true, Rsv: 4, Masked: true, Opcode: opText, Payload: []byte("x")},
		"[text, invalid UTF-8] /w==": {Fin: true, Opcode: opText, Payload: []byte{0xff}},
		"[opcode-3] ":                {Fin: true, Opcode: 3},
	} {
		require.Equal(t, want, renderFrame(f))
	}
}

// Every frame of both transcripts renders as its recorded description.
func TestRecordFrames(t *testing.T) {
	for _, path := range transcripts {
		for _, r := range loadT(t, path).Records {
			if r.Kind != KindWSFrame {
				continue
			}
			f, err := recordFrame(r)
			require.NoError(t, err)
			s := renderFrame(f)
			switch r.Type {
			case "text":
				require.Equal(t, *r.Payload, s)
			case "close":
				require.True(t, strings.HasPrefix(s, "[close] 1000"), s)
			}
		}
	}
}
