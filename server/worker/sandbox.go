package worker

import (
	"os"
)

// Sandbox is what a worker process may touch, decided by the server and
// applied by the worker to itself before it interprets any recipe code
// (Landlock on Linux; see docs/security.md for other platforms).
type Sandbox struct {
	// Read are files the recipe reads: its input and, for scoring, the
	// trained model.
	Read []string `json:"read,omitempty"`
	// Dir is the run's directory, the only place the recipe may write; the
	// worker starts in it.
	Dir string `json:"dir"`
	// Network allows network access; without it the worker runs in a
	// network namespace of its own and Landlock refuses TCP.
	Network bool `json:"network"`
}

// systemReadPaths are read-only paths a recipe may need beyond its own
// files: time zones always (the binary also embeds the zone database),
// name resolution and certificates only with network access.
func systemReadPaths(network bool) []string {
	paths := []string{"/etc/localtime", "/usr/share/zoneinfo"}
	if network {
		paths = append(paths, "/etc/resolv.conf", "/etc/hosts", "/etc/nsswitch.conf", "/etc/ssl", "/etc/pki", "/etc/ca-certificates")
	}
	return paths
}

// workerEnv is the whole environment of a worker: nothing of the server's
// (its token, credentials in unrelated variables), only what a Go program
// needs to find its way, with home and temporary files in the run
// directory.
func workerEnv(dir string, extra []string) []string {
	env := []string{"HOME=" + dir, "TMPDIR=" + dir, "PATH=/usr/local/bin:/usr/bin:/bin"}
	for _, k := range []string{"TZ", "LANG", "LC_ALL", "SYSTEMROOT"} {
		if v, ok := os.LookupEnv(k); ok {
			env = append(env, k+"="+v)
		}
	}
	return append(env, extra...)
}
