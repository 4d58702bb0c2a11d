package http

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"strings"
)

// TokenPath is where a server with home directory home keeps its token.
func TokenPath(home string) string { return filepath.Join(home, "server", "token") }

// ReadToken reads a token file; a blank file is an error, never "no token".
func ReadToken(path string) (string, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return "", err
	}
	t := strings.TrimSpace(string(b))
	if t == "" {
		return "", fmt.Errorf("token file %s is blank: run 'galley token rotate' to make a new token", path)
	}
	return t, nil
}

// LoadToken returns the token in path, creating a random one (readable by
// the owner only) when the file does not exist yet.
func LoadToken(path string) (token string, created bool, err error) {
	t, err := ReadToken(path)
	if err == nil {
		return t, false, nil
	}
	if !errors.Is(err, fs.ErrNotExist) {
		return "", false, err
	}
	t, err = RotateToken(path)
	return t, err == nil, err
}

// RotateToken replaces the token in path with a new random one and returns
// it. The file is written beside its final name and renamed, so a server
// reading it never sees half a token.
func RotateToken(path string) (string, error) {
	b := make([]byte, 24)
	if _, err := rand.Read(b); err != nil {
		return "", err
	}
	t := hex.EncodeToString(b)
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return "", err
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), ".token-*")
	if err != nil {
		return "", err
	}
	defer os.Remove(tmp.Name())
	if err := tmp.Chmod(0o600); err != nil {
		tmp.Close()
		return "", err
	}
	if _, err := tmp.WriteString(t + "\n"); err != nil {
		tmp.Close()
		return "", err
	}
	if err := tmp.Close(); err != nil {
		return "", err
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return "", err
	}
	return t, nil
}

// clientToken is the token a client sends to base: $GALLEY_TOKEN, else,
// for a server on this machine only, the token file under home. The file's
// token is never sent elsewhere, where it would give that server the keys to
// the local one.
func clientToken(base, home string) string {
	if t := strings.TrimSpace(os.Getenv("GALLEY_TOKEN")); t != "" {
		return t
	}
	u, err := url.Parse(base)
	if err != nil {
		return ""
	}
	host := u.Hostname()
	if ip := net.ParseIP(host); host != "localhost" && (ip == nil || !ip.IsLoopback()) {
		return ""
	}
	t, _ := ReadToken(TokenPath(home))
	return t
}
