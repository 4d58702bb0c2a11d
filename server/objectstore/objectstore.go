// Package objectstore keeps the files runs share across machines in one
// bucket: dataset snapshots that runs read, trained-model artifacts and
// scoring outputs. It sits on gocloud.dev/blob, so the same code serves a
// directory on local disk (file:///DIR, the default under galley's home)
// and any S3-compatible store (s3://BUCKET/PREFIX?endpoint=…&region=…).
//
// A process that executes runs needs only the storage URL:
//
//	objects, err := objectstore.Open(ctx, "s3://galley/prod?endpoint=https://s3.internal&region=us-east-1")
//	...
//	defer objects.Close()
//	// read the run's input and, for scoring, its model
//	err = objects.FetchSnapshot(ctx, run.InputSnapshot, filepath.Join(dir, "input.csv"))
//	err = objects.Fetch(ctx, trained.Artifact, filepath.Join(dir, "model.json"))
//	// write what the run produced
//	key, err := objects.PutArtifact(ctx, run.ID, filepath.Join(dir, "model.json"))
//	key, err = objects.PutOutput(ctx, run.ID, filepath.Join(dir, "output.csv"))
//
// Every write is atomic: a reader sees the whole new object or the one
// before it, never part of one (fileblob writes a temporary file beside the
// object and renames it; S3 makes an object visible only when its upload
// completes). Keys name the run, not the attempt, so a retried or repeated
// attempt replaces its predecessor's object instead of leaving a second one.
//
// Keys:
//
//	snapshots/NAME/vN.csv   a dataset version as the CSV recipes read
//	runs/ID/model.json      the model a training run saved
//	runs/ID/output.csv      the scores a scoring run wrote
package objectstore

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"gocloud.dev/blob"
	"gocloud.dev/blob/fileblob"
	"gocloud.dev/blob/s3blob"
	"gocloud.dev/gcerrors"

	"github.com/galley-dev/galley/server"
)

// Store is one bucket (or one prefix of a bucket) holding galley's objects.
// It is safe for concurrent use.
type Store struct {
	bucket *blob.Bucket
	url    string // for messages: no secrets
}

// DefaultURL is the store under galley's home used when --storage is not
// given.
func DefaultURL(home string) string {
	return (&url.URL{Scheme: "file", Path: filepath.Join(home, "server", "objects")}).String()
}

// checkTimeout bounds the access check Open makes, so that an unreachable
// endpoint is reported at start rather than hanging it.
const checkTimeout = 20 * time.Second

// Open opens the store named by rawURL and checks that it can be reached
// with the credentials at hand, so that a misconfigured store stops a
// process before it does anything:
//
//   - file:///DIR: a directory on local disk, which must exist (only
//     OpenDefault creates its directory).
//   - s3://BUCKET[/PREFIX][?endpoint=URL&region=R&...]: an S3-compatible
//     store. Credentials come from the usual AWS sources
//     (AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, a profile, a role).
//     With an endpoint, path-style addressing is the default, as
//     S3-compatible servers seldom serve bucket subdomains
//     (use_path_style=false changes it). Other parameters are those of
//     gocloud.dev/blob/s3blob.
//
// Errors are EINVALID for a URL that names no usable store (unknown
// scheme, no bucket, missing directory, missing bucket); a store that
// refuses the credentials or cannot be reached is an internal error. All
// say what to change.
func Open(ctx context.Context, rawURL string) (*Store, error) {
	return open(ctx, rawURL, false)
}

// OpenDefault opens the file store at DefaultURL(home), creating its
// directory on first use.
func OpenDefault(ctx context.Context, home string) (*Store, error) {
	return open(ctx, DefaultURL(home), true)
}

func open(ctx context.Context, rawURL string, create bool) (*Store, error) {
	u, err := url.Parse(rawURL)
	if err != nil || rawURL == "" {
		return nil, server.Errorf(server.EINVALID, "storage URL %q is invalid: use file:///DIR or s3://BUCKET/PREFIX?endpoint=URL&region=REGION", rawURL)
	}
	shown := Redact(rawURL)
	var b *blob.Bucket
	switch u.Scheme {
	case "file":
		b, err = openFile(ctx, u, shown, create)
	case "s3":
		b, err = openS3(ctx, u, shown)
	default:
		return nil, server.Errorf(server.EINVALID, "storage URL %s: unknown scheme %q: use file:///DIR or s3://BUCKET/PREFIX?endpoint=URL&region=REGION", shown, u.Scheme)
	}
	if err != nil {
		return nil, err
	}
	s := &Store{bucket: b, url: shown}
	if err := s.check(ctx, u); err != nil {
		b.Close()
		return nil, err
	}
	return s, nil
}

func openFile(ctx context.Context, u *url.URL, shown string, create bool) (*blob.Bucket, error) {
	if u.Host != "" && u.Host != "localhost" {
		return nil, server.Errorf(server.EINVALID, "storage URL %s names host %q: a file URL needs an absolute path, as in file:///srv/galley/objects", shown, u.Host)
	}
	if u.Path == "" || !filepath.IsAbs(u.Path) {
		return nil, server.Errorf(server.EINVALID, "storage URL %s: a file URL needs an absolute path, as in file:///srv/galley/objects", shown)
	}
	if create {
		if err := os.MkdirAll(u.Path, 0o755); err != nil {
			return nil, fmt.Errorf("storage: creating %s: %w", u.Path, err)
		}
	}
	if fi, err := os.Stat(u.Path); err != nil || !fi.IsDir() {
		return nil, server.Errorf(server.EINVALID, "storage URL %s: directory %s does not exist: create it first", shown, u.Path)
	}
	q := u.Query()
	// Temporary files beside their object: a rename out of /tmp would
	// fail across file systems, and the rename is what makes writes
	// atomic.
	if !q.Has("no_tmp_dir") {
		q.Set("no_tmp_dir", "true")
	}
	// Attributes live in sidecar files only if asked for: galley sets
	// none.
	if !q.Has("metadata") {
		q.Set("metadata", "skip")
	}
	o := *u
	o.RawQuery = q.Encode()
	b, err := (&fileblob.URLOpener{}).OpenBucketURL(ctx, &o)
	if err != nil {
		return nil, server.Errorf(server.EINVALID, "storage URL %s: %v", shown, err)
	}
	return b, nil
}

func openS3(ctx context.Context, u *url.URL, shown string) (*blob.Bucket, error) {
	if u.Host == "" {
		return nil, server.Errorf(server.EINVALID, "storage URL %s names no bucket: use s3://BUCKET/PREFIX?endpoint=URL&region=REGION", shown)
	}
	if u.User != nil {
		return nil, server.Errorf(server.EINVALID, "storage URL %s carries credentials: give them in AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY instead, where process listings and logs do not show them", shown)
	}
	q := u.Query()
	if q.Has("endpoint") && !q.Has("use_path_style") && !q.Has("s3ForcePathStyle") {
		q.Set("use_path_style", "true")
	}
	if !q.Has("region") && os.Getenv("AWS_REGION") == "" && os.Getenv("AWS_DEFAULT_REGION") == "" {
		return nil, server.Errorf(server.EINVALID, "storage URL %s names no region: add region=REGION to it or set AWS_REGION (S3-compatible servers accept us-east-1)", shown)
	}
	o := url.URL{Scheme: "s3", Host: u.Host, RawQuery: q.Encode()}
	b, err := (&s3blob.URLOpener{}).OpenBucketURL(ctx, &o)
	if err != nil {
		return nil, server.Errorf(server.EINVALID, "storage URL %s: %v", shown, err)
	}
	if prefix := strings.Trim(u.Path, "/"); prefix != "" {
		b = blob.PrefixedBucket(b, prefix+"/")
	}
	return b, nil
}

// check proves the bucket exists and the credentials may list it, which
// retention needs beside reading and writing.
func (s *Store) check(ctx context.Context, u *url.URL) error {
	ctx, cancel := context.WithTimeout(ctx, checkTimeout)
	defer cancel()
	ok, err := s.bucket.IsAccessible(ctx)
	if err == nil && !ok {
		return server.Errorf(server.EINVALID, "storage %s: bucket %q does not exist: create it first (galley does not create buckets)", s.url, u.Host)
	}
	if err == nil {
		return nil
	}
	var status interface{ HTTPStatusCode() int }
	denied := errors.As(err, &status) && (status.HTTPStatusCode() == 401 || status.HTTPStatusCode() == 403)
	switch {
	case gcerrors.Code(err) == gcerrors.PermissionDenied, denied:
		return fmt.Errorf("storage %s: access denied: check AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (or the profile or role in use) and the bucket's policy: %w", s.url, err)
	case gcerrors.Code(err) == gcerrors.NotFound:
		return server.Errorf(server.EINVALID, "storage %s: bucket %q does not exist: create it first (galley does not create buckets)", s.url, u.Host)
	}
	if ctx.Err() != nil {
		return fmt.Errorf("storage %s: no answer within %s: check the endpoint and that the store is running: %w", s.url, checkTimeout, err)
	}
	return fmt.Errorf("storage %s: cannot reach the store: check the endpoint, the region and the credentials: %w", s.url, err)
}

// Redact drops user information from a storage URL for messages.
func Redact(rawURL string) string {
	u, err := url.Parse(rawURL)
	if err != nil || u.User == nil {
		return rawURL
	}
	u.User = url.User("REDACTED")
	return u.String()
}

// String names the store for logs, without secrets.
func (s *Store) String() string { return s.url }

// Close releases the bucket.
func (s *Store) Close() error { return s.bucket.Close() }

// Put writes r as key, atomically: when r fails, nothing is published and
// an object already at key stays as it was.
func (s *Store) Put(ctx context.Context, key string, r io.Reader) error {
	// Closing a writer publishes what it was given unless its context is
	// cancelled first: a failed copy cancels it, so half an object is
	// never published.
	wctx, cancel := context.WithCancel(ctx)
	defer cancel()
	w, err := s.bucket.NewWriter(wctx, key, nil)
	if err != nil {
		return s.wrap(err, key)
	}
	if _, err := io.Copy(w, r); err != nil {
		cancel()
		w.Close()
		return s.wrap(err, key)
	}
	return s.wrap(w.Close(), key)
}

// PutFile uploads the file at path as key, atomically.
func (s *Store) PutFile(ctx context.Context, key, path string) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	return s.Put(ctx, key, f)
}

// Reader opens key for reading; ENOTFOUND when it does not exist.
func (s *Store) Reader(ctx context.Context, key string) (io.ReadCloser, error) {
	r, err := s.bucket.NewReader(ctx, key, nil)
	if err != nil {
		return nil, s.wrap(err, key)
	}
	return r, nil
}

// Fetch downloads key to the local file path, atomically: path appears
// whole or not at all. ENOTFOUND when key does not exist.
func (s *Store) Fetch(ctx context.Context, key, path string) error {
	r, err := s.Reader(ctx, key)
	if err != nil {
		return err
	}
	defer r.Close()
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*.part")
	if err != nil {
		return err
	}
	_, err = io.Copy(f, r)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(f.Name(), path)
	}
	if err != nil {
		os.Remove(f.Name())
		return fmt.Errorf("storage %s: fetching %s: %w", s.url, key, err)
	}
	return nil
}

// Exists reports whether key exists.
func (s *Store) Exists(ctx context.Context, key string) (bool, error) {
	ok, err := s.bucket.Exists(ctx, key)
	return ok, s.wrap(err, key)
}

// Delete removes key; deleting a missing key is not an error.
func (s *Store) Delete(ctx context.Context, key string) error {
	err := s.bucket.Delete(ctx, key)
	if gcerrors.Code(err) == gcerrors.NotFound {
		return nil
	}
	return s.wrap(err, key)
}

// Object is one stored object, as List reports it.
type Object struct {
	Key      string
	Size     int64
	Modified time.Time
}

// List returns the objects whose keys start with prefix, in key order.
// It reads at most limit objects and says so with an error past that, so
// a sweep over a huge bucket is bounded.
func (s *Store) List(ctx context.Context, prefix string, limit int) ([]Object, error) {
	var out []Object
	it := s.bucket.List(&blob.ListOptions{Prefix: prefix})
	for {
		o, err := it.Next(ctx)
		if err == io.EOF {
			return out, nil
		}
		if err != nil {
			return out, s.wrap(err, prefix)
		}
		if o.IsDir {
			continue
		}
		if len(out) == limit {
			return out, fmt.Errorf("storage %s: more than %d objects under %q", s.url, limit, prefix)
		}
		out = append(out, Object{Key: o.Key, Size: o.Size, Modified: o.ModTime})
	}
}

func (s *Store) wrap(err error, key string) error {
	switch {
	case err == nil:
		return nil
	case gcerrors.Code(err) == gcerrors.NotFound:
		return server.Errorf(server.ENOTFOUND, "storage %s has no object %s", s.url, key)
	case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		return err
	}
	return fmt.Errorf("storage %s: %s: %w", s.url, key, err)
}

// SnapshotKey is where dataset version ref ("name@N") is kept as CSV.
func SnapshotKey(ref string) (string, error) {
	name, v, ok := strings.Cut(ref, "@")
	n, err := strconv.Atoi(strings.TrimPrefix(v, "v"))
	if !ok || name == "" || err != nil || n < 1 || strings.ContainsAny(name, "/\\") || name == "." || name == ".." {
		return "", server.Errorf(server.EINVALID, "dataset snapshot %q is invalid: use NAME@VERSION", ref)
	}
	return "snapshots/" + name + "/v" + strconv.Itoa(n) + ".csv", nil
}

// ArtifactKey is where training run id keeps its model.
func ArtifactKey(id int64) string { return runPrefix(id) + "model.json" }

// OutputKey is where scoring run id keeps its scores.
func OutputKey(id int64) string { return runPrefix(id) + "output.csv" }

// runPrefix is the prefix of every object run id owns.
func runPrefix(id int64) string { return "runs/" + strconv.FormatInt(id, 10) + "/" }

// RunOf returns the run owning key and the rest of the key ("model.json",
// "output.csv"); ok is false for keys no run owns.
func RunOf(key string) (id int64, name string, ok bool) {
	rest, found := strings.CutPrefix(key, "runs/")
	if !found {
		return 0, "", false
	}
	num, name, found := strings.Cut(rest, "/")
	id, err := strconv.ParseInt(num, 10, 64)
	if !found || err != nil || id <= 0 {
		return 0, "", false
	}
	return id, name, true
}

// SnapshotOf returns the dataset version ("name@N") key holds; ok is false
// for keys that are no snapshot.
func SnapshotOf(key string) (ref string, ok bool) {
	rest, found := strings.CutPrefix(key, "snapshots/")
	if !found {
		return "", false
	}
	name, file, found := strings.Cut(rest, "/")
	v, found2 := strings.CutSuffix(strings.TrimPrefix(file, "v"), ".csv")
	if !found || !found2 || name == "" {
		return "", false
	}
	if _, err := strconv.Atoi(v); err != nil {
		return "", false
	}
	return name + "@" + v, true
}

// IsKey says whether an artifact reference is an object key rather than a
// file path, as trained models made before object storage recorded.
func IsKey(artifact string) bool {
	return artifact != "" && !filepath.IsAbs(artifact)
}

// PublishSnapshot makes dataset version ref ("name@N") readable by any
// worker: unless the store already holds it, export writes it as CSV to a
// temporary file in dir, which is uploaded. Versions never change, so a
// snapshot is published once and two publishers racing write the same
// bytes. The side that holds the dataset catalog calls it before a run
// that reads ref is executed.
func (s *Store) PublishSnapshot(ctx context.Context, ref, dir string, export func(ctx context.Context, ref, path string) error) (string, error) {
	key, err := SnapshotKey(ref)
	if err != nil {
		return "", err
	}
	if ok, err := s.Exists(ctx, key); err != nil || ok {
		return key, err
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", err
	}
	f, err := os.CreateTemp(dir, ".snapshot-*.csv")
	if err != nil {
		return "", err
	}
	f.Close()
	defer os.Remove(f.Name())
	if err := export(ctx, ref, f.Name()); err != nil {
		return "", err
	}
	return key, s.PutFile(ctx, key, f.Name())
}

// FetchSnapshot downloads dataset version ref as CSV to path; ENOTFOUND
// when it was not published.
func (s *Store) FetchSnapshot(ctx context.Context, ref, path string) error {
	key, err := SnapshotKey(ref)
	if err != nil {
		return err
	}
	return s.Fetch(ctx, key, path)
}

// PutArtifact uploads the model training run id saved at path and returns
// its key, which the trained model records.
func (s *Store) PutArtifact(ctx context.Context, id int64, path string) (string, error) {
	key := ArtifactKey(id)
	return key, s.PutFile(ctx, key, path)
}

// PutOutput uploads the scores scoring run id wrote at path and returns
// its key.
func (s *Store) PutOutput(ctx context.Context, id int64, path string) (string, error) {
	key := OutputKey(id)
	return key, s.PutFile(ctx, key, path)
}
