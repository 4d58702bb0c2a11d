package stdsymbols

import (
	"errors"
	"fmt"
	"log"
	"os"
)

// Exit is the panic value of os.Exit and log.Fatal in a cell: ending the
// kernel process would lose the session, so the engine reports it as the
// cell's error instead.
type Exit struct{ Code int }

func (e Exit) Error() string { return fmt.Sprintf("exit status %d", e.Code) }

func osExit(code int) { panic(Exit{Code: code}) }

var errOwnProcess = errors.New("os.FindProcess: a cell may not signal the kernel process")

func osFindProcess(pid int) (*os.Process, error) {
	if pid == os.Getpid() {
		return nil, errOwnProcess
	}
	return os.FindProcess(pid)
}

// log.Fatal prints like the compiled version, then exits the cell, not the
// process.
func logFatal(v ...any) {
	log.Output(2, fmt.Sprint(v...))
	panic(Exit{Code: 1})
}

func logFatalf(format string, v ...any) {
	log.Output(2, fmt.Sprintf(format, v...))
	panic(Exit{Code: 1})
}

func logFatalln(v ...any) {
	log.Output(2, fmt.Sprintln(v...))
	panic(Exit{Code: 1})
}

// The extractor routes log.Logger and log.New through local names so that
// a wrapper can be substituted; galley keeps the real types so that loggers
// can be passed to compiled code.
type logLogger = log.Logger

var logNew = log.New
