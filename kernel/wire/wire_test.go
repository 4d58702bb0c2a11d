package wire

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/go-zeromq/zmq4"
)

func TestEncodeDecodeRoundTrip(t *testing.T) {
	s, err := NewSigner("hmac-sha256", "secret")
	if err != nil {
		t.Fatal(err)
	}
	m, err := NewSender().New("execute_request", nil, map[string]any{"code": "1+1"})
	if err != nil {
		t.Fatal(err)
	}
	m.Identities = [][]byte{[]byte("client-1")}
	m.Buffers = [][]byte{[]byte("raw")}
	frames, err := s.Encode(m)
	if err != nil {
		t.Fatal(err)
	}
	if string(frames[1]) != "<IDS|MSG>" {
		t.Fatalf("frame 1 = %q, want the delimiter", frames[1])
	}
	want := s.Sign(frames[3], frames[4], frames[5], frames[6])
	if string(frames[2]) != want || len(want) != 64 {
		t.Fatalf("signature %q, want %q (64 hex digits)", frames[2], want)
	}
	got, err := s.Decode(frames)
	if err != nil {
		t.Fatal(err)
	}
	if got.Header != m.Header || string(got.Identities[0]) != "client-1" || string(got.Buffers[0]) != "raw" {
		t.Fatalf("decoded %+v, want %+v", got, m)
	}
	var c struct{ Code string }
	if err := got.DecodeContent(&c); err != nil || c.Code != "1+1" {
		t.Fatalf("content %+v, %v", c, err)
	}
	if m.Header.Version != "5.4" || m.Header.Username == "" || m.Header.Date == "" || m.Header.MsgID == "" {
		t.Fatalf("header missing required fields: %+v", m.Header)
	}
}

func TestDecodeRejects(t *testing.T) {
	s, _ := NewSigner("hmac-sha256", "secret")
	good := func() [][]byte {
		m, _ := NewSender().New("kernel_info_request", nil, map[string]any{})
		f, _ := s.Encode(m)
		return f
	}
	tests := map[string]func() [][]byte{
		"bad signature": func() [][]byte {
			f := good()
			f[1] = []byte("00" + string(f[1][2:]))
			return f
		},
		"tampered content": func() [][]byte {
			f := good()
			f[5] = []byte(`{"code":"evil"}`)
			return f
		},
		"non-hex signature": func() [][]byte { f := good(); f[1] = []byte("zz"); return f },
		"no delimiter":      func() [][]byte { return [][]byte{[]byte("a"), []byte("b")} },
		"missing frames":    func() [][]byte { return good()[:4] },
		"header not json": func() [][]byte {
			f := good()
			f[2] = []byte("{nope")
			f[1] = []byte(s.Sign(f[2], f[3], f[4], f[5]))
			return f
		},
		"content is array": func() [][]byte {
			f := good()
			f[5] = []byte("[]")
			f[1] = []byte(s.Sign(f[2], f[3], f[4], f[5]))
			return f
		},
		"no msg_type": func() [][]byte {
			f := good()
			f[2] = []byte(`{"msg_id":"x"}`)
			f[1] = []byte(s.Sign(f[2], f[3], f[4], f[5]))
			return f
		},
	}
	for name, frames := range tests {
		t.Run(name, func(t *testing.T) {
			if _, err := s.Decode(frames()); !errors.Is(err, ErrBadMessage) {
				t.Fatalf("Decode error = %v, want ErrBadMessage", err)
			}
		})
	}
	if _, err := s.Decode(good()); err != nil {
		t.Fatalf("good message rejected: %v", err)
	}
}

func TestUnsignedWhenKeyEmpty(t *testing.T) {
	s, _ := NewSigner("hmac-sha256", "")
	m, _ := NewSender().New("status", nil, map[string]any{"execution_state": "idle"})
	f, _ := s.Encode(m)
	if len(f[1]) != 0 {
		t.Fatalf("signature %q with empty key, want empty", f[1])
	}
	if _, err := s.Decode(f); err != nil {
		t.Fatal(err)
	}
}

func TestConnectionInfoValidate(t *testing.T) {
	bad := []ConnectionInfo{
		{Transport: "udp", IP: "127.0.0.1"},
		{Transport: "tcp"},
		{Transport: "tcp", IP: "127.0.0.1", SignatureScheme: "hmac-md5"},
		{Transport: "tcp", IP: "127.0.0.1", ShellPort: 70000},
	}
	for _, info := range bad {
		if err := info.Validate(); err == nil {
			t.Errorf("Validate(%+v) = nil, want an error", info)
		}
	}
	ok := ConnectionInfo{IP: "127.0.0.1"}
	if err := ok.Validate(); err != nil || ok.Transport != "tcp" || ok.SignatureScheme != "hmac-sha256" {
		t.Errorf("defaults not filled: %+v %v", ok, err)
	}
	if got := (ConnectionInfo{Transport: "ipc", IP: "/tmp/k"}).Endpoint(5); got != "ipc:///tmp/k-5" {
		t.Errorf("ipc endpoint = %q", got)
	}
}

// TestSockets checks the sockets end to end with an in-process client:
// heartbeats are echoed, signed requests arrive, and messages signed with
// the wrong key are dropped while the socket keeps working.
func TestSockets(t *testing.T) {
	ctx := context.Background()
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	info := ConnectionInfo{IP: "127.0.0.1", Key: "k1"}
	k, err := Listen(ctx, info, log)
	if err != nil {
		t.Fatal(err)
	}
	defer k.Close()
	if k.Info.ShellPort == 0 || k.Info.HBPort == 0 {
		t.Fatalf("ports not filled in: %+v", k.Info)
	}
	c, err := Dial(ctx, k.Info)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()

	if err := c.HB.Send(zmq4.NewMsgString("ping")); err != nil {
		t.Fatal(err)
	}
	pong, err := c.HB.Recv()
	if err != nil || string(pong.Bytes()) != "ping" {
		t.Fatalf("heartbeat reply %q, %v", pong.Bytes(), err)
	}

	wrong := info
	wrong.Key = "not-the-key"
	intruder, err := Dial(ctx, func() ConnectionInfo { w := k.Info; w.Key = wrong.Key; return w }())
	if err != nil {
		t.Fatal(err)
	}
	defer intruder.Close()
	if _, err := intruder.Request(intruder.Shell, "execute_request", map[string]any{"code": "bad"}); err != nil {
		t.Fatal(err)
	}
	got := make(chan error, 1)
	go func() {
		_, err := k.Shell.Recv()
		if !errors.Is(err, ErrBadMessage) {
			got <- errors.New("forged message was not rejected")
			return
		}
		msg, err := k.Shell.Recv()
		if err != nil {
			got <- err
			return
		}
		var content struct{ Code string }
		if err := msg.DecodeContent(&content); err != nil || content.Code != "good" {
			got <- errors.New("wrong message: " + string(msg.Content))
			return
		}
		reply, err := NewSender().New("execute_reply", msg, map[string]any{"status": "ok"})
		if err == nil {
			err = k.Shell.Send(reply)
		}
		got <- err
	}()
	time.Sleep(100 * time.Millisecond) // let the forged request arrive first
	req, err := c.Request(c.Shell, "execute_request", map[string]any{"code": "good"})
	if err != nil {
		t.Fatal(err)
	}
	if err := <-got; err != nil {
		t.Fatal(err)
	}
	reply, err := c.Shell.Recv()
	if err != nil {
		t.Fatal(err)
	}
	if reply.ParentHeader().MsgID != req.Header.MsgID {
		t.Fatalf("reply parent %s, want %s", reply.ParentHeader().MsgID, req.Header.MsgID)
	}
	var parent map[string]any
	if err := json.Unmarshal(reply.Parent, &parent); err != nil || parent["msg_type"] != "execute_request" {
		t.Fatalf("parent header %s", reply.Parent)
	}
}
