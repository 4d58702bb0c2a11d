// Package pgtest starts a real PostgreSQL server for tests: Debian's
// postgresql package, initialised with initdb in a temporary directory and
// listening on a free loopback port, stopped when the tests end.
//
// A test package shares one server and gives each test its own database:
//
//	func TestMain(m *testing.M) { os.Exit(pgtest.Main(m)) }
//
//	func TestX(t *testing.T) {
//		dsn := pgtest.NewDatabase(t) // postgres://…/galley_test_N
//		…
//	}
//
// PostgreSQL refuses to run as root; when the tests do (as in containers
// and CI), the server runs as the unprivileged user "nobody".
//
// Tests never silently skip in CI: when CI=true and PostgreSQL cannot be
// started, the test fails; elsewhere it is skipped with a message saying
// what to install.
package pgtest

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"sort"
	"strconv"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // registers the "pgx" driver

	"github.com/galley-dev/galley/internal/proctest"
)

// Password is the superuser's password; the server asks for it on TCP
// connections, so tests can also try wrong credentials.
const Password = "galley-test-password"

// Server is a running PostgreSQL server.
type Server struct {
	// Host and Port are where it listens.
	Host string
	Port int
	// User is the superuser.
	User string

	dir  string
	bin  string
	cred *syscall.Credential
	proc *proctest.Process
	next atomic.Int64
}

var shared = proctest.Shared[*Server]{Start: Start}

// Main runs the tests of a package that uses NewDatabase and stops the
// shared server afterwards. Call it from TestMain.
func Main(m *testing.M) int { return shared.Main(m, "pgtest") }

// Shared returns the package's shared server, starting it on first use.
func Shared(tb testing.TB) *Server {
	tb.Helper()
	s, err := shared.Get()
	if err != nil {
		Missing(tb, err)
	}
	return s
}

// NewDatabase creates an empty database on the shared server and returns
// its URL.
func NewDatabase(tb testing.TB) string {
	tb.Helper()
	return Shared(tb).NewDatabase(tb)
}

// Missing reports that PostgreSQL cannot be used: a failure when CI=true,
// a skip otherwise.
func Missing(tb testing.TB, err error) {
	tb.Helper()
	proctest.Missing(tb, fmt.Sprintf("PostgreSQL is needed for this test: %v (install Debian's postgresql package: 'apt-get install postgresql', or run 'make postgres')", err))
}

// URL returns the URL of database db as user with password.
func (s *Server) URL(user, password, db string) string {
	return fmt.Sprintf("postgres://%s:%s@%s/%s?sslmode=disable", user, password, net.JoinHostPort(s.Host, strconv.Itoa(s.Port)), db)
}

// NewDatabase creates an empty database and returns its URL.
func (s *Server) NewDatabase(tb testing.TB) string {
	tb.Helper()
	name := fmt.Sprintf("galley_test_%d", s.next.Add(1))
	admin, err := sql.Open("pgx", s.URL(s.User, Password, "postgres"))
	if err != nil {
		tb.Fatal(err)
	}
	defer admin.Close()
	if _, err := admin.Exec(`CREATE DATABASE ` + name); err != nil {
		tb.Fatalf("pgtest: creating database %s: %v", name, err)
	}
	return s.URL(s.User, Password, name)
}

// binDir finds the newest installed PostgreSQL's programs.
func binDir() (string, error) {
	if dir := os.Getenv("GALLEY_PG_BIN"); dir != "" {
		return dir, nil
	}
	dirs, _ := filepath.Glob("/usr/lib/postgresql/*/bin")
	sort.Slice(dirs, func(i, j int) bool {
		a, _ := strconv.Atoi(filepath.Base(filepath.Dir(dirs[i])))
		b, _ := strconv.Atoi(filepath.Base(filepath.Dir(dirs[j])))
		return a < b
	})
	for i := len(dirs) - 1; i >= 0; i-- {
		if _, err := os.Stat(filepath.Join(dirs[i], "initdb")); err == nil {
			return dirs[i], nil
		}
	}
	if p, err := exec.LookPath("initdb"); err == nil {
		return filepath.Dir(p), nil
	}
	return "", errors.New("no initdb in /usr/lib/postgresql/*/bin or on PATH (GALLEY_PG_BIN may name the directory)")
}

// Start initialises a cluster in a new temporary directory and starts
// PostgreSQL on a free loopback port. Stop stops it and removes the
// directory.
func Start() (*Server, error) {
	bin, err := binDir()
	if err != nil {
		return nil, err
	}
	cred, err := credential()
	if err != nil {
		return nil, err
	}
	dir, err := os.MkdirTemp("", "galley-pgtest-")
	if err != nil {
		return nil, err
	}
	s := &Server{Host: "127.0.0.1", User: "postgres", dir: dir, bin: bin, cred: cred}
	fail := func(err error) (*Server, error) {
		os.RemoveAll(dir)
		return nil, err
	}
	// The server's user must be able to reach and own its files.
	if err := os.Chmod(dir, 0o755); err != nil {
		return fail(err)
	}
	data, pwfile := filepath.Join(dir, "data"), filepath.Join(dir, "pwfile")
	if err := os.WriteFile(pwfile, []byte(Password+"\n"), 0o600); err != nil {
		return fail(err)
	}
	if err := os.Mkdir(data, 0o700); err != nil {
		return fail(err)
	}
	if cred != nil {
		for _, p := range []string{data, pwfile} {
			if err := os.Chown(p, int(cred.Uid), int(cred.Gid)); err != nil {
				return fail(err)
			}
		}
	}
	initdb := exec.Command(filepath.Join(bin, "initdb"), "-D", data, "-U", s.User, "--pwfile", pwfile,
		"--auth-local=trust", "--auth-host=scram-sha-256", "-E", "UTF8", "--no-sync")
	initdb.SysProcAttr = &syscall.SysProcAttr{Credential: cred}
	initdb.Dir = dir
	if out, err := initdb.CombinedOutput(); err != nil {
		return fail(fmt.Errorf("initdb: %v: %s", err, proctest.LastLines(out, 10)))
	}
	if s.Port, err = proctest.FreePort(); err != nil {
		return fail(err)
	}
	if err := s.launch(); err != nil {
		return fail(err)
	}
	return s, nil
}

// launch starts PostgreSQL on the cluster in s.dir and waits until it
// answers.
func (s *Server) launch() error {
	// Durability settings are off: the cluster is thrown away after the
	// tests.
	cmd := exec.Command(filepath.Join(s.bin, "postgres"), "-D", filepath.Join(s.dir, "data"), "-p", strconv.Itoa(s.Port),
		"-c", "listen_addresses="+s.Host, "-c", "unix_socket_directories=", "-c", "fsync=off",
		"-c", "synchronous_commit=off", "-c", "full_page_writes=off", "-c", "max_connections=200")
	cmd.Dir = s.dir
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: s.cred, Pdeathsig: syscall.SIGKILL}
	var err error
	if s.proc, err = proctest.Start("postgres", cmd, filepath.Join(s.dir, "postgres.log")); err != nil {
		return err
	}
	if err := s.waitReady(30 * time.Second); err != nil {
		s.proc.Stop(syscall.SIGINT, 20*time.Second)
		s.proc = nil
		return err
	}
	return nil
}

// Halt stops PostgreSQL and keeps its files: clients find no server until
// Resume starts it again on the same port. For tests of outages; do not
// halt the shared server.
func (s *Server) Halt() error {
	if s.proc == nil {
		return nil
	}
	err := s.proc.Stop(syscall.SIGINT, 20*time.Second)
	s.proc = nil
	return err
}

// Resume starts PostgreSQL again after Halt, with the same databases.
func (s *Server) Resume() error {
	if s.proc != nil {
		return errors.New("pgtest: the server is running")
	}
	return s.launch()
}

func (s *Server) waitReady(limit time.Duration) error {
	db, err := sql.Open("pgx", s.URL(s.User, Password, "postgres"))
	if err != nil {
		return err
	}
	defer db.Close()
	return s.proc.WaitReady(limit, 100*time.Millisecond, func() error {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		return db.PingContext(ctx)
	})
}

// Stop shuts the server down and removes its files.
func (s *Server) Stop() error {
	defer os.RemoveAll(s.dir)
	if s.proc == nil {
		return nil
	}
	// SIGINT is PostgreSQL's fast shutdown.
	return s.proc.Stop(syscall.SIGINT, 20*time.Second)
}

// credential is whom PostgreSQL runs as: nil (this process's user) unless
// that is root, which PostgreSQL refuses; then "nobody".
func credential() (*syscall.Credential, error) {
	if os.Geteuid() != 0 {
		return nil, nil
	}
	u, err := user.Lookup("nobody")
	if err != nil {
		return nil, fmt.Errorf("running as root and no user 'nobody' to run postgres as: %w", err)
	}
	uid, _ := strconv.Atoi(u.Uid)
	gid, _ := strconv.Atoi(u.Gid)
	return &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid), Groups: []uint32{}}, nil
}
