// Package wire speaks the transport layer of the Jupyter messaging protocol:
// it reads connection files, binds the five ZeroMQ sockets, and turns
// multipart frames into signed messages and back.
//
// It knows nothing about what a request means or how code runs; the session
// package decides that. A kernel uses it like this:
//
//	info, err := wire.ReadConnectionFile(path)
//	socks, err := wire.Listen(ctx, info, logger)
//	defer socks.Close()
//	for {
//		msg, err := socks.Shell.Recv()
//		if errors.Is(err, wire.ErrBadMessage) {
//			continue // already logged: bad signature, malformed JSON, ...
//		}
//		...
//		socks.Shell.Send(socks.Reply(msg, "kernel_info_reply", content))
//	}
package wire

import (
	"bytes"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"hash"
	"time"
)

// ProtocolVersion is the version of the messaging protocol galley speaks.
const ProtocolVersion = "5.4"

// delimiter separates routing identities from the signed part of a message.
var delimiter = []byte("<IDS|MSG>")

// MaxMessageSize bounds the total size of one incoming message. Larger
// messages are rejected rather than decoded: a notebook cell or comm payload
// is far below it, and a runaway client must not exhaust the kernel's memory.
const MaxMessageSize = 256 << 20

// ErrBadMessage is wrapped by every decoding error: a bad signature, missing
// frames, malformed JSON or an oversized message. Callers log and drop.
var ErrBadMessage = errors.New("bad message")

// Header is the header of a message, and the parent header of its replies.
type Header struct {
	MsgID    string `json:"msg_id"`
	Session  string `json:"session"`
	Username string `json:"username"`
	Date     string `json:"date"`
	MsgType  string `json:"msg_type"`
	Version  string `json:"version"`
}

// Message is one decoded message.
type Message struct {
	// Identities are the ZeroMQ routing prefixes; replies carry them back.
	Identities [][]byte
	Header     Header
	// RawHeader is the header as received; replies quote it verbatim as
	// their parent_header so that fields galley does not know survive.
	RawHeader json.RawMessage
	Parent    json.RawMessage
	Metadata  json.RawMessage
	Content   json.RawMessage
	Buffers   [][]byte
}

// Type returns the message type.
func (m *Message) Type() string { return m.Header.MsgType }

// DecodeContent unmarshals the content into v.
func (m *Message) DecodeContent(v any) error {
	if err := json.Unmarshal(m.Content, v); err != nil {
		return fmt.Errorf("%w: %s content: %v", ErrBadMessage, m.Header.MsgType, err)
	}
	return nil
}

// ParentHeader decodes the parent header; it is zero for requests.
func (m *Message) ParentHeader() Header {
	var h Header
	_ = json.Unmarshal(m.Parent, &h)
	return h
}

// Signer signs and verifies messages with the connection's key.
type Signer struct {
	key []byte
}

// NewSigner returns a signer for scheme and key. An empty key disables
// signing, as the protocol allows; the only scheme is hmac-sha256.
func NewSigner(scheme, key string) (*Signer, error) {
	if key != "" && scheme != "" && scheme != "hmac-sha256" {
		return nil, fmt.Errorf("wire: unsupported signature scheme %q (galley supports hmac-sha256)", scheme)
	}
	return &Signer{key: []byte(key)}, nil
}

func (s *Signer) mac(parts ...[]byte) []byte {
	var h hash.Hash = hmac.New(sha256.New, s.key)
	for _, p := range parts {
		h.Write(p)
	}
	return h.Sum(nil)
}

// Sign returns the hex signature of the four signed frames, or "" when
// signing is disabled.
func (s *Signer) Sign(header, parent, metadata, content []byte) string {
	if len(s.key) == 0 {
		return ""
	}
	return hex.EncodeToString(s.mac(header, parent, metadata, content))
}

// Encode returns the frames of m, signed.
func (s *Signer) Encode(m *Message) ([][]byte, error) {
	header, err := json.Marshal(m.Header)
	if err != nil {
		return nil, fmt.Errorf("wire: encoding header: %w", err)
	}
	parent, metadata, content := orEmpty(m.Parent), orEmpty(m.Metadata), orEmpty(m.Content)
	frames := make([][]byte, 0, len(m.Identities)+6+len(m.Buffers))
	frames = append(frames, m.Identities...)
	frames = append(frames, delimiter, []byte(s.Sign(header, parent, metadata, content)), header, parent, metadata, content)
	frames = append(frames, m.Buffers...)
	return frames, nil
}

func orEmpty(b json.RawMessage) []byte {
	if len(b) == 0 {
		return []byte("{}")
	}
	return b
}

// Decode parses and verifies the frames of one message. Every error wraps
// ErrBadMessage.
func (s *Signer) Decode(frames [][]byte) (*Message, error) {
	size := 0
	for _, f := range frames {
		size += len(f)
	}
	if size > MaxMessageSize {
		return nil, fmt.Errorf("%w: %d bytes exceeds the limit of %d", ErrBadMessage, size, MaxMessageSize)
	}
	d := -1
	for i, f := range frames {
		if bytes.Equal(f, delimiter) {
			d = i
			break
		}
	}
	if d < 0 {
		return nil, fmt.Errorf("%w: no <IDS|MSG> delimiter in %d frames", ErrBadMessage, len(frames))
	}
	if len(frames) < d+6 {
		return nil, fmt.Errorf("%w: %d frames after the delimiter, want at least 5", ErrBadMessage, len(frames)-d-1)
	}
	sig, header, parent, metadata, content := frames[d+1], frames[d+2], frames[d+3], frames[d+4], frames[d+5]
	if len(s.key) > 0 {
		got, err := hex.DecodeString(string(sig))
		if err != nil || !hmac.Equal(got, s.mac(header, parent, metadata, content)) {
			return nil, fmt.Errorf("%w: invalid signature", ErrBadMessage)
		}
	}
	m := &Message{
		Identities: frames[:d:d],
		RawHeader:  json.RawMessage(header),
		Parent:     json.RawMessage(parent),
		Metadata:   json.RawMessage(metadata),
		Content:    json.RawMessage(content),
		Buffers:    frames[d+6:],
	}
	for _, f := range []struct {
		name string
		b    []byte
	}{{"header", header}, {"parent_header", parent}, {"metadata", metadata}, {"content", content}} {
		if !isObject(f.b) {
			return nil, fmt.Errorf("%w: %s is not a JSON object", ErrBadMessage, f.name)
		}
	}
	if err := json.Unmarshal(header, &m.Header); err != nil {
		return nil, fmt.Errorf("%w: header: %v", ErrBadMessage, err)
	}
	if m.Header.MsgType == "" {
		return nil, fmt.Errorf("%w: header has no msg_type", ErrBadMessage)
	}
	return m, nil
}

func isObject(b []byte) bool {
	b = bytes.TrimSpace(b)
	return len(b) >= 2 && b[0] == '{' && json.Valid(b)
}

// NewHeader returns a header for a new message of type msgType.
func NewHeader(msgType, session, username string) Header {
	return Header{
		MsgID:    NewID(),
		Session:  session,
		Username: username,
		Date:     time.Now().UTC().Format(time.RFC3339Nano),
		MsgType:  msgType,
		Version:  ProtocolVersion,
	}
}

// NewID returns a random UUID (version 4) in its canonical text form.
func NewID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	h := hex.EncodeToString(b[:])
	return h[0:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:]
}
