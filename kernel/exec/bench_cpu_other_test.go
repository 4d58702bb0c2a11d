//go:build !unix

package exec

func processCPU() (int64, bool) { return 0, false }
