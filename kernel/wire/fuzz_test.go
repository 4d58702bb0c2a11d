package wire

import (
	"bytes"
	"errors"
	"testing"
)

// FuzzDecode feeds arbitrary frames to the decoder: it must return a
// message or an ErrBadMessage, never panic. The input is split into frames
// at NUL bytes so the fuzzer can vary the number of frames too.
func FuzzDecode(f *testing.F) {
	s, _ := NewSigner("hmac-sha256", "fuzz")
	m, _ := NewSender().New("execute_request", nil, map[string]any{"code": "x := 1"})
	m.Identities = [][]byte{[]byte("id")}
	frames, _ := s.Encode(m)
	f.Add(bytes.Join(frames, []byte{0}), true)
	f.Add([]byte("<IDS|MSG>\x00\x00{}\x00{}\x00{}\x00{}"), false)
	f.Add([]byte("<IDS|MSG>"), false)
	f.Fuzz(func(t *testing.T, data []byte, signed bool) {
		key := ""
		if signed {
			key = "fuzz"
		}
		s, _ := NewSigner("hmac-sha256", key)
		msg, err := s.Decode(bytes.Split(data, []byte{0}))
		if err != nil {
			if !errors.Is(err, ErrBadMessage) {
				t.Fatalf("error %v does not wrap ErrBadMessage", err)
			}
			return
		}
		if msg.Header.MsgType == "" {
			t.Fatal("decoded a message without msg_type")
		}
		// A decoded message must encode again.
		if _, err := s.Encode(msg); err != nil {
			t.Fatal(err)
		}
	})
}
