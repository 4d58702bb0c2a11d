package wire

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os/user"
	"sync"
	"time"

	"github.com/go-zeromq/zmq4"
)

// Socket is one ZeroMQ socket carrying signed messages. Send may be called
// from any goroutine: a mutex serialises writers, because ZeroMQ sockets
// are not safe for concurrent use. Recv must be called from one goroutine.
type Socket struct {
	Name   string
	z      zmq4.Socket
	signer *Signer
	mu     sync.Mutex
}

// Send signs and sends m.
func (s *Socket) Send(m *Message) error {
	frames, err := s.signer.Encode(m)
	if err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.z.SendMulti(zmq4.NewMsgFrom(frames...)); err != nil {
		return fmt.Errorf("wire: sending %s on %s: %w", m.Header.MsgType, s.Name, err)
	}
	return nil
}

// Recv returns the next message. Errors wrapping ErrBadMessage concern one
// message only; others mean the socket is closed.
func (s *Socket) Recv() (*Message, error) {
	zm, err := s.z.Recv()
	if err != nil {
		return nil, fmt.Errorf("wire: receiving on %s: %w", s.Name, err)
	}
	return s.signer.Decode(zm.Frames)
}

// Close closes the socket.
func (s *Socket) Close() error { return s.z.Close() }

// port returns the TCP port the socket listens on, or 0.
func (s *Socket) port() int {
	if a, ok := s.z.Addr().(*net.TCPAddr); ok {
		return a.Port
	}
	return 0
}

// Sender builds messages on behalf of one kernel or client session.
type Sender struct {
	Session  string
	Username string
}

// NewSender returns a sender with a fresh session id and the current user's
// name, which the protocol requires to be non-empty.
func NewSender() Sender {
	name := "galley"
	if u, err := user.Current(); err == nil && u.Username != "" {
		name = u.Username
	}
	return Sender{Session: NewID(), Username: name}
}

// New returns a message of type msgType with parent as its parent (nil for
// none). Replies pass the request as parent so they carry its identities.
func (s Sender) New(msgType string, parent *Message, content any) (*Message, error) {
	b, err := json.Marshal(content)
	if err != nil {
		return nil, fmt.Errorf("wire: encoding %s content: %w", msgType, err)
	}
	m := &Message{Header: NewHeader(msgType, s.Session, s.Username), Content: b, Metadata: json.RawMessage("{}")}
	if parent != nil {
		m.Identities = parent.Identities
		m.Parent = parent.RawHeader
	}
	return m, nil
}

// Sockets are the five sockets of a running kernel.
type Sockets struct {
	Shell, Control, Stdin, IOPub *Socket
	hb                           zmq4.Socket
	// Info is the connection info with any port 0 replaced by the port
	// actually bound, so tests can let the system pick ports.
	Info   ConnectionInfo
	cancel context.CancelFunc
	wg     sync.WaitGroup
}

// Listen binds the kernel's sockets described by info and starts answering
// heartbeats.
func Listen(ctx context.Context, info ConnectionInfo, log *slog.Logger) (*Sockets, error) {
	if err := info.Validate(); err != nil {
		return nil, err
	}
	signer, err := NewSigner(info.SignatureScheme, info.Key)
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithCancel(ctx)
	s := &Sockets{Info: info, cancel: cancel}
	// Sends time out instead of blocking forever on a front end that went away.
	opt := zmq4.WithTimeout(10 * time.Second)
	bind := func(name string, z zmq4.Socket, port *int) (*Socket, error) {
		if err := z.Listen(info.Endpoint(*port)); err != nil {
			return nil, fmt.Errorf("wire: binding %s to %s: %w", name, info.Endpoint(*port), err)
		}
		sock := &Socket{Name: name, z: z, signer: signer}
		if p := sock.port(); p != 0 {
			*port = p
		}
		return sock, nil
	}
	var errs []error
	var e error
	s.Shell, e = bind("shell", zmq4.NewRouter(ctx, opt), &s.Info.ShellPort)
	errs = append(errs, e)
	s.Control, e = bind("control", zmq4.NewRouter(ctx, opt), &s.Info.ControlPort)
	errs = append(errs, e)
	s.Stdin, e = bind("stdin", zmq4.NewRouter(ctx, opt), &s.Info.StdinPort)
	errs = append(errs, e)
	s.IOPub, e = bind("iopub", zmq4.NewPub(ctx, opt), &s.Info.IOPubPort)
	errs = append(errs, e)
	hb, e := bind("heartbeat", zmq4.NewRep(ctx, opt), &s.Info.HBPort)
	errs = append(errs, e)
	if err := errors.Join(errs...); err != nil {
		s.Close()
		return nil, err
	}
	s.hb = hb.z
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		s.heartbeat(ctx, log)
	}()
	return s, nil
}

// heartbeat echoes pings on its own goroutine, so a busy kernel still
// looks alive to its front end.
func (s *Sockets) heartbeat(ctx context.Context, log *slog.Logger) {
	for {
		m, err := s.hb.Recv()
		if err != nil {
			if ctx.Err() == nil {
				log.Debug("heartbeat socket stopped", "err", err)
			}
			return
		}
		if err := s.hb.Send(m); err != nil && ctx.Err() == nil {
			log.Warn("heartbeat echo failed", "err", err)
		}
	}
}

// Close closes every socket.
func (s *Sockets) Close() error {
	s.cancel()
	var errs []error
	for _, sock := range []*Socket{s.Shell, s.Control, s.Stdin, s.IOPub} {
		if sock != nil {
			errs = append(errs, sock.Close())
		}
	}
	if s.hb != nil {
		errs = append(errs, s.hb.Close())
	}
	s.wg.Wait()
	return errors.Join(errs...)
}
