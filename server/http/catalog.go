package http

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"time"

	"github.com/galley-dev/galley/server"
	"github.com/galley-dev/galley/stdlib/catalog"
)

// Catalog is a server's datasets as a notebook reads them: it implements
// catalog.Remote over the API, so that stdlib/catalog's Load, File and
// Names find the datasets the server's recipes and scoring runs read.
type Catalog struct {
	Client *Client
}

var _ catalog.Remote = (*Catalog)(nil)

// SharedCatalog returns the catalog of the server c talks to, with its
// local copies under HOME/cache/datasets/SERVER (HOME being
// catalog.Home()) bounded by cacheBytes (0: catalog.DefaultCacheBytes).
// Connections give up after 10 seconds, and answers that do not start
// within 10 minutes (a large CSV being written) are abandoned.
func SharedCatalog(c *Client, cacheBytes int64) *catalog.Shared {
	cc := *c
	if cc.HTTP == nil || cc.HTTP == http.DefaultClient {
		t := http.DefaultTransport.(*http.Transport).Clone()
		t.DialContext = (&net.Dialer{Timeout: 10 * time.Second, KeepAlive: 30 * time.Second}).DialContext
		t.ResponseHeaderTimeout = 10 * time.Minute
		cc.HTTP = &http.Client{Transport: t}
	}
	return &catalog.Shared{
		Remote:     &Catalog{Client: &cc},
		Cache:      filepath.Join(catalog.Home(), "cache", "datasets", cacheName(cc.URL)),
		CacheBytes: cacheBytes,
	}
}

var unsafeName = regexp.MustCompile(`[^A-Za-z0-9.-]+`)

// cacheName is the folder of a server's copies: its host, port and path,
// so that two servers' datasets of one name never share a copy.
func cacheName(base string) string {
	u, err := url.Parse(base)
	if err != nil || u.Host == "" {
		return unsafeName.ReplaceAllString(base, "_")
	}
	return unsafeName.ReplaceAllString(u.Host+u.Path, "_")
}

// Where implements catalog.Remote.
func (c *Catalog) Where() string {
	return "the galley server at " + c.Client.URL + " ($GALLEY_SERVER)"
}

// Names implements catalog.Remote: every dataset, a page at a time.
func (c *Catalog) Names(ctx context.Context) ([]string, error) {
	var names []string
	for p := (server.Page{Limit: 1000, Order: "name"}); ; p.Offset += p.Limit {
		list, total, err := c.Client.FindDatasets(ctx, server.DatasetFilter{Page: p})
		if err != nil {
			return nil, c.err(err)
		}
		for _, d := range list {
			names = append(names, d.Name)
		}
		if len(list) == 0 || len(names) >= total {
			return names, nil
		}
	}
}

// Version implements catalog.Remote.
func (c *Catalog) Version(ctx context.Context, name string, n int) (catalog.RemoteVersion, error) {
	v, err := c.Client.FindDatasetVersion(ctx, name+"@"+strconv.Itoa(n))
	if err != nil {
		return catalog.RemoteVersion{}, c.err(err)
	}
	return catalog.RemoteVersion{Name: v.Name, Version: v.Version, Rows: v.Rows, Bytes: v.Bytes, Created: v.CreatedAt}, nil
}

// Download implements catalog.Remote.
func (c *Catalog) Download(ctx context.Context, name string, n int, format string, w io.Writer) error {
	ref := name + "@" + strconv.Itoa(n)
	var err error
	switch format {
	case "parquet":
		err = c.Client.DatasetParquet(ctx, ref, w)
		if server.ErrorCode(err) == server.ENOTIMPLEMENTED {
			return fmt.Errorf("%w: %s", catalog.ErrNoParquet, server.ErrorMessage(err))
		}
	case "csv":
		err = c.Client.DatasetData(ctx, ref, w)
	default:
		return fmt.Errorf("dataset format %q: use parquet or csv", format)
	}
	return c.err(err)
}

// catalogError is an answer of the server reworded for a notebook; it
// wraps kind (such as catalog.ErrNotFound) for errors.Is.
type catalogError struct {
	msg  string
	kind error
}

func (e *catalogError) Error() string { return e.msg }
func (e *catalogError) Unwrap() error { return e.kind }

// err rewords err for someone reading a dataset in a notebook: what went
// wrong, with which server, and what to do.
func (c *Catalog) err(err error) error {
	if err == nil {
		return nil
	}
	var ue *url.Error
	if errors.As(err, &ue) {
		return &catalogError{msg: fmt.Sprintf("cannot reach %s: %v: start the server or correct GALLEY_SERVER (unset it to read the catalog under %s), then restart the kernel",
			c.Where(), ue.Err, catalog.Home()), kind: err}
	}
	switch server.ErrorCode(err) {
	case server.ENOTFOUND:
		return &catalogError{msg: server.ErrorMessage(err) + " (on " + c.Where() + ")", kind: catalog.ErrNotFound}
	case server.EUNAUTHORIZED:
		return &catalogError{msg: fmt.Sprintf("%s refused the token (%s): set GALLEY_TOKEN to the server's token ('galley token show' where it runs), then restart the kernel",
			c.Where(), tokenSource(c.Client.Token, catalog.Home())), kind: err}
	}
	return err
}

// tokenSource says where the token a client sent came from, as
// clientToken chose it.
func tokenSource(token, home string) string {
	switch {
	case os.Getenv("GALLEY_TOKEN") != "":
		return "the token in $GALLEY_TOKEN"
	case token != "":
		return "the token in " + TokenPath(home)
	}
	return "no token was sent: GALLEY_TOKEN is not set, and a token file is read only for a server on this machine"
}
