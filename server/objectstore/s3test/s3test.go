// Package s3test starts a real S3-compatible server for tests: versitygw
// (Apache-2.0) with its POSIX backend in a temporary directory, listening
// on a free loopback port with an access key and secret of its own, stopped
// when the tests end.
//
// The server program is built from the Go module proxy at the version
// pinned in testdata/s3server/go.mod (checked against its go.sum): 'make
// s3server' builds bin/versitygw once; when it is missing, the first test
// builds it (a minute or two on a cold module cache). GALLEY_S3_SERVER may
// name a versitygw binary instead.
//
// A test package shares one server (or starts one per test with New) and
// gives each test its own bucket:
//
//	func TestMain(m *testing.M) { os.Exit(s3test.Main(m)) }
//
//	func TestX(t *testing.T) {
//		srv := s3test.Shared(t)
//		url := srv.NewBucket(t) // s3://galley-test-N?endpoint=…&region=us-east-1
//		t.Setenv(...)          // srv.Env() holds the credentials
//	}
//
// Tests never silently skip in CI: when CI=true and the server cannot be
// built or started, the test fails; elsewhere it is skipped with a message.
package s3test

import (
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/galley-dev/galley/internal/proctest"
)

// Credentials the server accepts; tests may try others to see them refused.
const (
	AccessKey = "galleytestaccess"
	SecretKey = "galley-test-secret-key"
	Region    = "us-east-1"
)

// Server is a running versitygw.
type Server struct {
	// Endpoint is its URL, http://127.0.0.1:PORT.
	Endpoint string

	dir  string
	data string
	proc *proctest.Process
	next atomic.Int64
}

var shared = proctest.Shared[*Server]{Start: Start}

// Main runs the tests of a package that uses Shared and stops the shared
// server afterwards. Call it from TestMain.
func Main(m *testing.M) int { return shared.Main(m, "s3test") }

// Shared returns the package's shared server, starting it on first use.
func Shared(tb testing.TB) *Server {
	tb.Helper()
	s, err := shared.Get()
	if err != nil {
		Missing(tb, err)
	}
	return s
}

// New starts a server of test t's own, stopped when the test ends: for
// packages that start one server in a test or two and have a TestMain of
// their own.
func New(tb testing.TB) *Server {
	tb.Helper()
	s, err := Start()
	if err != nil {
		Missing(tb, err)
	}
	tb.Cleanup(func() {
		if err := s.Stop(); err != nil {
			tb.Errorf("s3test: %v", err)
		}
	})
	return s
}

// Missing reports that the S3 server cannot be used: a failure when
// CI=true, a skip otherwise.
func Missing(tb testing.TB, err error) {
	tb.Helper()
	proctest.Missing(tb, fmt.Sprintf("an S3-compatible server is needed for this test: %v (run 'make s3server', which builds versitygw from the Go module proxy)", err))
}

// Env is the environment a galley process needs to reach the server with
// its credentials, as KEY=VALUE pairs.
func (s *Server) Env() []string {
	return []string{"AWS_ACCESS_KEY_ID=" + AccessKey, "AWS_SECRET_ACCESS_KEY=" + SecretKey, "AWS_REGION=" + Region}
}

// SetEnv sets Env for the rest of test t.
func (s *Server) SetEnv(t *testing.T) {
	t.Helper()
	t.Setenv("AWS_ACCESS_KEY_ID", AccessKey)
	t.Setenv("AWS_SECRET_ACCESS_KEY", SecretKey)
	t.Setenv("AWS_REGION", Region)
	// Nothing of the developer's own AWS setup may leak into a test.
	t.Setenv("AWS_PROFILE", "")
	t.Setenv("AWS_SESSION_TOKEN", "")
	t.Setenv("AWS_CONFIG_FILE", filepath.Join(s.dir, "no-aws-config"))
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", filepath.Join(s.dir, "no-aws-credentials"))
	t.Setenv("AWS_EC2_METADATA_DISABLED", "true")
}

// URL is the storage URL of bucket under prefix ("" for none).
func (s *Server) URL(bucket, prefix string) string {
	u := url.URL{Scheme: "s3", Host: bucket, Path: "/" + prefix}
	u.RawQuery = url.Values{"endpoint": {s.Endpoint}, "region": {Region}}.Encode()
	if prefix == "" {
		u.Path = ""
	}
	return u.String()
}

// NewBucket creates an empty bucket and returns its storage URL, with
// prefix "galley" (the URL's host names the bucket).
func (s *Server) NewBucket(tb testing.TB) string {
	tb.Helper()
	name := fmt.Sprintf("galley-test-%d", s.next.Add(1))
	// A bucket of the POSIX backend is a directory of its data directory.
	if err := os.Mkdir(filepath.Join(s.data, name), 0o755); err != nil {
		tb.Fatalf("s3test: creating bucket %s: %v", name, err)
	}
	return s.URL(name, "galley")
}

// ObjectPath is the file holding key in bucket, for tests that look at
// what the server stored.
func (s *Server) ObjectPath(bucket, key string) string {
	return filepath.Join(s.data, bucket, filepath.FromSlash(key))
}

// Binary finds or builds versitygw.
func Binary() (string, error) {
	if p := os.Getenv("GALLEY_S3_SERVER"); p != "" {
		return p, nil
	}
	root, err := repoRoot()
	if err != nil {
		return "", err
	}
	bin := filepath.Join(root, "bin", "versitygw")
	if _, err := os.Stat(bin); err == nil {
		return bin, nil
	}
	cmd := exec.Command("go", "build", "-o", bin, "github.com/versity/versitygw/cmd/versitygw")
	cmd.Dir = filepath.Join(root, "testdata", "s3server")
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOFLAGS=-mod=readonly")
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("building versitygw in testdata/s3server: %v\n%s", err, out)
	}
	return bin, nil
}

func repoRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "testdata", "s3server", "go.mod")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("no testdata/s3server/go.mod above the working directory")
		}
		dir = parent
	}
}

// Start starts a server with its data in a new temporary directory.
func Start() (*Server, error) {
	bin, err := Binary()
	if err != nil {
		return nil, err
	}
	dir, err := os.MkdirTemp("", "galley-s3test-")
	if err != nil {
		return nil, err
	}
	s := &Server{dir: dir, data: filepath.Join(dir, "data")}
	for _, d := range []string{s.data, filepath.Join(dir, "meta")} {
		if err := os.Mkdir(d, 0o755); err != nil {
			os.RemoveAll(dir)
			return nil, err
		}
	}
	// A port taken between the probe and the server's start is retried.
	for try := 0; try < 3; try++ {
		var port int
		if port, err = proctest.FreePort(); err != nil {
			break
		}
		if err = s.start(bin, port); err == nil {
			return s, nil
		}
	}
	os.RemoveAll(dir)
	return nil, err
}

func (s *Server) start(bin string, port int) error {
	addr := net.JoinHostPort("127.0.0.1", strconv.Itoa(port))
	cmd := exec.Command(bin, "--access", AccessKey, "--secret", SecretKey, "--region", Region, "--port", addr,
		"posix", "--sidecar", filepath.Join(s.dir, "meta"), s.data)
	// Its own process group, so a stop reaches anything it starts.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	proc, err := proctest.Start("versitygw", cmd, filepath.Join(s.dir, "versitygw.log"))
	if err != nil {
		return err
	}
	s.Endpoint = "http://" + addr
	// Any HTTP answer, an S3 error included, means it is serving.
	err = proc.WaitReady(30*time.Second, 50*time.Millisecond, func() error {
		resp, err := http.Get(s.Endpoint + "/")
		if err == nil {
			resp.Body.Close()
		}
		return err
	})
	if err != nil {
		proc.Kill()
		return err
	}
	s.proc = proc
	return nil
}

// Stop stops the server and removes its directory.
func (s *Server) Stop() error {
	return errors.Join(s.proc.Stop(syscall.SIGTERM, 10*time.Second), os.RemoveAll(s.dir))
}
