package wire

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/go-zeromq/zmq4"
)

// Client is the front-end side of a connection: it dials a kernel's sockets
// the way jupyter_client does. Galley's tests use it to drive kernels
// in-process; it is not meant to be a full front end.
type Client struct {
	Shell, Control, Stdin, IOPub *Socket
	HB                           zmq4.Socket
	Sender                       Sender
	cancel                       context.CancelFunc
}

// Dial connects to the kernel described by info and subscribes to all of
// its IOPub messages.
func Dial(ctx context.Context, info ConnectionInfo) (*Client, error) {
	if err := info.Validate(); err != nil {
		return nil, err
	}
	signer, err := NewSigner(info.SignatureScheme, info.Key)
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithCancel(ctx)
	c := &Client{Sender: NewSender(), cancel: cancel}
	// One identity for shell and stdin, as jupyter_client uses, so the
	// kernel can route input_request to the client that asked to execute.
	id := zmq4.WithID(zmq4.SocketIdentity(c.Sender.Session))
	opt := zmq4.WithTimeout(10 * time.Second)
	dial := func(name string, z zmq4.Socket, port int) (*Socket, error) {
		if err := z.Dial(info.Endpoint(port)); err != nil {
			return nil, fmt.Errorf("wire: dialing %s: %w", name, err)
		}
		return &Socket{Name: name, z: z, signer: signer}, nil
	}
	var errs []error
	var e error
	c.Shell, e = dial("shell", zmq4.NewDealer(ctx, id, opt), info.ShellPort)
	errs = append(errs, e)
	c.Control, e = dial("control", zmq4.NewDealer(ctx, opt), info.ControlPort)
	errs = append(errs, e)
	c.Stdin, e = dial("stdin", zmq4.NewDealer(ctx, id, opt), info.StdinPort)
	errs = append(errs, e)
	c.IOPub, e = dial("iopub", zmq4.NewSub(ctx, opt), info.IOPubPort)
	errs = append(errs, e)
	hb, e := dial("heartbeat", zmq4.NewReq(ctx, opt), info.HBPort)
	errs = append(errs, e)
	if err := errors.Join(errs...); err != nil {
		c.Close()
		return nil, err
	}
	c.HB = hb.z
	if err := c.IOPub.z.SetOption(zmq4.OptionSubscribe, ""); err != nil {
		c.Close()
		return nil, fmt.Errorf("wire: subscribing to iopub: %w", err)
	}
	return c, nil
}

// Request sends a new message of msgType with content on sock and returns it.
func (c *Client) Request(sock *Socket, msgType string, content any) (*Message, error) {
	m, err := c.Sender.New(msgType, nil, content)
	if err != nil {
		return nil, err
	}
	return m, sock.Send(m)
}

// Close closes every socket.
func (c *Client) Close() error {
	c.cancel()
	var errs []error
	for _, s := range []*Socket{c.Shell, c.Control, c.Stdin, c.IOPub} {
		if s != nil {
			errs = append(errs, s.Close())
		}
	}
	if c.HB != nil {
		errs = append(errs, c.HB.Close())
	}
	return errors.Join(errs...)
}
