package objectstore_test

import (
	"context"
	"errors"
	"io"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"testing/iotest"

	"github.com/galley-dev/galley/server"
	"github.com/galley-dev/galley/server/objectstore"
	"github.com/galley-dev/galley/server/objectstore/s3test"
)

func TestMain(m *testing.M) { os.Exit(s3test.Main(m)) }

// stores opens one store of each kind: a directory and a bucket of a real
// S3-compatible server.
func stores(t *testing.T) map[string]*objectstore.Store {
	t.Helper()
	ctx := context.Background()
	file, err := objectstore.OpenDefault(ctx, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { file.Close() })
	srv := s3test.Shared(t)
	srv.SetEnv(t)
	s3, err := objectstore.Open(ctx, srv.NewBucket(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s3.Close() })
	return map[string]*objectstore.Store{"file": file, "s3": s3}
}

func read(t *testing.T, s *objectstore.Store, key string) (string, error) {
	t.Helper()
	r, err := s.Reader(context.Background(), key)
	if err != nil {
		return "", err
	}
	defer r.Close()
	b, err := io.ReadAll(r)
	return string(b), err
}

// TestStores: both kinds of store behave alike for what galley relies on.
func TestStores(t *testing.T) {
	for kind, s := range stores(t) {
		t.Run(kind, func(t *testing.T) {
			ctx := context.Background()
			dir := t.TempDir()
			model := filepath.Join(dir, "model.json")
			os.WriteFile(model, []byte(`{"attempt":1}`), 0o644)
			key, err := s.PutArtifact(ctx, 7, model)
			if err != nil || key != "runs/7/model.json" {
				t.Fatalf("PutArtifact = %q, %v", key, err)
			}
			// A retried attempt replaces the object: one output per run.
			os.WriteFile(model, []byte(`{"attempt":2}`), 0o644)
			if _, err := s.PutArtifact(ctx, 7, model); err != nil {
				t.Fatal(err)
			}
			if got, err := read(t, s, key); err != nil || got != `{"attempt":2}` {
				t.Errorf("after a second attempt the object holds %q, %v", got, err)
			}
			// A write that fails half-way publishes nothing and leaves the
			// object it would have replaced as it was; 17 MiB takes S3
			// uploads past their 16 MiB multipart threshold.
			broken := io.MultiReader(strings.NewReader(strings.Repeat("x", 17<<20)), iotest.ErrReader(errors.New("disk gone")))
			if err := s.Put(ctx, key, broken); err == nil {
				t.Errorf("Put of a failing reader succeeded")
			}
			if got, err := read(t, s, key); err != nil || got != `{"attempt":2}` {
				t.Errorf("after a failed write the object holds %d bytes, %v", len(got), err)
			}
			if err := s.Put(ctx, "runs/8/output.csv", broken); err == nil {
				t.Errorf("Put of a failing reader succeeded")
			}
			if ok, err := s.Exists(ctx, "runs/8/output.csv"); ok || err != nil {
				t.Errorf("a failed first write left an object: %v, %v", ok, err)
			}

			// Snapshots are published once and fetched whole.
			exports := 0
			export := func(ctx context.Context, ref, path string) error {
				exports++
				return os.WriteFile(path, []byte("id,x\n1,2\n"), 0o644)
			}
			for range 2 {
				if key, err := s.PublishSnapshot(ctx, "d@3", dir, export); err != nil || key != "snapshots/d/v3.csv" {
					t.Fatalf("PublishSnapshot = %q, %v", key, err)
				}
			}
			if exports != 1 {
				t.Errorf("the snapshot was exported %d times, want once", exports)
			}
			in := filepath.Join(dir, "input.csv")
			if err := s.FetchSnapshot(ctx, "d@3", in); err != nil {
				t.Fatal(err)
			}
			if b, _ := os.ReadFile(in); string(b) != "id,x\n1,2\n" {
				t.Errorf("fetched snapshot = %q", b)
			}
			err = s.FetchSnapshot(ctx, "d@4", filepath.Join(dir, "other.csv"))
			if server.ErrorCode(err) != server.ENOTFOUND {
				t.Errorf("fetching a snapshot never published: %v", err)
			}
			if _, err := os.Stat(filepath.Join(dir, "other.csv")); err == nil {
				t.Errorf("a failed fetch left a file")
			}
			if _, err := s.PublishSnapshot(ctx, "../x@1", dir, export); server.ErrorCode(err) != server.EINVALID {
				t.Errorf("publishing a snapshot named ../x: %v", err)
			}

			objs, err := s.List(ctx, "", 10)
			var keys []string
			for _, o := range objs {
				keys = append(keys, o.Key)
			}
			if err != nil || strings.Join(keys, " ") != "runs/7/model.json snapshots/d/v3.csv" {
				t.Errorf("List = %v, %v", keys, err)
			}
			if _, err := s.List(ctx, "", 1); err == nil {
				t.Errorf("List past its limit gave no error")
			}
			if err := s.Delete(ctx, key); err != nil {
				t.Fatal(err)
			}
			if err := s.Delete(ctx, key); err != nil {
				t.Errorf("deleting a missing object: %v", err)
			}
			if _, err := read(t, s, key); server.ErrorCode(err) != server.ENOTFOUND {
				t.Errorf("reading a deleted object: %v", err)
			}
		})
	}
}

// TestPrefix: two prefixes of one bucket are separate stores.
func TestPrefix(t *testing.T) {
	srv := s3test.Shared(t)
	srv.SetEnv(t)
	ctx := context.Background()
	srv.NewBucket(t)
	bucket := "galley-test-prefix"
	if err := os.Mkdir(srv.ObjectPath(bucket, ""), 0o755); err != nil {
		t.Fatal(err)
	}
	a, err := objectstore.Open(ctx, srv.URL(bucket, "team-a"))
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	b, err := objectstore.Open(ctx, srv.URL(bucket, "team-b"))
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	if err := a.Put(ctx, "runs/1/model.json", strings.NewReader("a")); err != nil {
		t.Fatal(err)
	}
	if ok, _ := b.Exists(ctx, "runs/1/model.json"); ok {
		t.Errorf("team-b sees team-a's object")
	}
	if _, err := os.Stat(srv.ObjectPath(bucket, "team-a/runs/1/model.json")); err != nil {
		t.Errorf("the object is not under its prefix in the bucket: %v", err)
	}
}

// TestBadConfiguration: every way of naming a store that cannot work is an
// error at Open that says what to change.
func TestBadConfiguration(t *testing.T) {
	srv := s3test.Shared(t)
	srv.SetEnv(t)
	ctx := context.Background()
	good := srv.NewBucket(t)
	// A loopback port nothing listens on.
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closed := l.Addr().String()
	l.Close()
	dir := t.TempDir()
	tests := []struct {
		name, url, env, want string
	}{
		{"unknown scheme", "gs://bucket", "", `unknown scheme "gs"`},
		{"no URL", "", "", "is invalid"},
		{"relative file", "file://objects", "", "needs an absolute path"},
		{"missing directory", "file://" + filepath.Join(dir, "nope"), "", "does not exist: create it first"},
		{"no bucket", "s3:///prefix?region=us-east-1", "", "names no bucket"},
		{"credentials in URL", "s3://key:secret@bucket?region=us-east-1", "", "carries credentials"},
		{"missing bucket", srv.URL("no-such-bucket", "p"), "", `bucket "no-such-bucket" does not exist`},
		{"wrong credentials", good, "wrong", "access denied: check AWS_ACCESS_KEY_ID"},
		{"unreachable endpoint", "s3://bucket?region=us-east-1&endpoint=http://" + closed, "", "cannot reach the store"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.env == "wrong" {
				t.Setenv("AWS_SECRET_ACCESS_KEY", "not-the-secret")
			}
			s, err := objectstore.Open(ctx, tt.url)
			if err == nil {
				s.Close()
				t.Fatalf("Open(%q) succeeded", tt.url)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("Open(%q) = %v; want it to say %q", tt.url, err, tt.want)
			}
			if strings.Contains(err.Error(), "secret") && tt.env != "" {
				t.Errorf("the message shows the secret: %v", err)
			}
		})
	}
	if _, err := os.Stat(filepath.Join(dir, "nope")); err == nil {
		t.Errorf("opening a missing directory created it")
	}
}

func TestKeys(t *testing.T) {
	if id, name, ok := objectstore.RunOf(objectstore.OutputKey(12)); !ok || id != 12 || name != "output.csv" {
		t.Errorf("RunOf(OutputKey(12)) = %d, %q, %v", id, name, ok)
	}
	for _, k := range []string{"runs/x/model.json", "runs/0/model.json", "snapshots/d/v1.csv", "runs/3"} {
		if _, _, ok := objectstore.RunOf(k); ok {
			t.Errorf("RunOf(%q) is a run's", k)
		}
	}
	key, err := objectstore.SnapshotKey("churn@12")
	if ref, ok := objectstore.SnapshotOf(key); err != nil || !ok || ref != "churn@12" {
		t.Errorf("SnapshotOf(SnapshotKey(churn@12)) = %q, %v, %v", ref, ok, err)
	}
	for _, ref := range []string{"churn", "churn@", "churn@x", "@1", "a/b@1", "..@1", "churn@0"} {
		if _, err := objectstore.SnapshotKey(ref); server.ErrorCode(err) != server.EINVALID {
			t.Errorf("SnapshotKey(%q) = %v", ref, err)
		}
	}
	if objectstore.IsKey("/home/u/.galley/server/work/runs/1/model-1.json") || !objectstore.IsKey("runs/1/model.json") {
		t.Errorf("IsKey tells file paths and keys apart wrongly")
	}
}
