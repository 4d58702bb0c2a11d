package wire

import (
	"encoding/json"
	"fmt"
	"os"
)

// ConnectionInfo is the content of a kernel connection file, written by the
// front end that starts the kernel.
type ConnectionInfo struct {
	Transport       string `json:"transport"`
	IP              string `json:"ip"`
	ShellPort       int    `json:"shell_port"`
	ControlPort     int    `json:"control_port"`
	StdinPort       int    `json:"stdin_port"`
	IOPubPort       int    `json:"iopub_port"`
	HBPort          int    `json:"hb_port"`
	Key             string `json:"key"`
	SignatureScheme string `json:"signature_scheme"`
	KernelName      string `json:"kernel_name,omitempty"`
}

// ReadConnectionFile reads and checks a connection file.
func ReadConnectionFile(path string) (ConnectionInfo, error) {
	var info ConnectionInfo
	b, err := os.ReadFile(path)
	if err != nil {
		return info, fmt.Errorf("reading connection file: %w", err)
	}
	if err := json.Unmarshal(b, &info); err != nil {
		return info, fmt.Errorf("connection file %s is not valid JSON: %w", path, err)
	}
	if err := info.Validate(); err != nil {
		return info, fmt.Errorf("connection file %s: %w", path, err)
	}
	return info, nil
}

// Validate reports what is wrong with info, filling in defaults the
// protocol allows to be omitted.
func (info *ConnectionInfo) Validate() error {
	if info.Transport == "" {
		info.Transport = "tcp"
	}
	if info.Transport != "tcp" && info.Transport != "ipc" {
		return fmt.Errorf("transport %q is not supported (use tcp or ipc)", info.Transport)
	}
	if info.IP == "" {
		return fmt.Errorf("no ip")
	}
	if info.SignatureScheme == "" {
		info.SignatureScheme = "hmac-sha256"
	}
	if info.SignatureScheme != "hmac-sha256" {
		return fmt.Errorf("signature_scheme %q is not supported (use hmac-sha256)", info.SignatureScheme)
	}
	for _, p := range []int{info.ShellPort, info.ControlPort, info.StdinPort, info.IOPubPort, info.HBPort} {
		if p < 0 || p > 65535 {
			return fmt.Errorf("port %d out of range", p)
		}
	}
	return nil
}

// Endpoint returns the ZeroMQ endpoint for port.
func (info ConnectionInfo) Endpoint(port int) string {
	if info.Transport == "ipc" {
		return fmt.Sprintf("ipc://%s-%d", info.IP, port)
	}
	return fmt.Sprintf("tcp://%s:%d", info.IP, port)
}
