package main

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"golang.org/x/term"
)

// maxSecretLine bounds one line of a secret read from stdin; the server
// refuses passwords over 1 KiB anyway.
const maxSecretLine = 64 << 10

// secretReader reads passwords and client secrets: from a no-echo prompt
// when stdin is a terminal, else one line of stdin per secret. Secrets are
// never taken from the command line, where other users and shell history
// would see them.
type secretReader struct {
	in     io.Reader
	prompt io.Writer
	lines  *bufio.Reader
}

func newSecretReader(in io.Reader, prompt io.Writer) *secretReader {
	return &secretReader{in: in, prompt: prompt}
}

// terminal returns the file descriptor of stdin when it is a terminal.
func (s *secretReader) terminal() (int, bool) {
	f, ok := s.in.(*os.File)
	if !ok {
		return 0, false
	}
	fd := int(f.Fd())
	return fd, term.IsTerminal(fd)
}

// read returns one secret; what names it in the prompt and in errors.
func (s *secretReader) read(what string) (string, error) {
	if fd, ok := s.terminal(); ok {
		fmt.Fprintf(s.prompt, "%s: ", upperFirst(what))
		b, err := term.ReadPassword(fd)
		fmt.Fprintln(s.prompt)
		if err != nil {
			return "", fmt.Errorf("read %s: %w", what, err)
		}
		if len(b) == 0 {
			return "", fmt.Errorf("no %s given", what)
		}
		return string(b), nil
	}
	if s.in == nil {
		return "", fmt.Errorf("no %s: stdin is closed", what)
	}
	if s.lines == nil {
		s.lines = bufio.NewReaderSize(s.in, 4096)
	}
	var line []byte
	for {
		chunk, isPrefix, err := s.lines.ReadLine()
		line = append(line, chunk...)
		if len(line) > maxSecretLine {
			return "", fmt.Errorf("the %s on stdin is too long", what)
		}
		if err != nil {
			if errors.Is(err, io.EOF) {
				return "", fmt.Errorf("no %s on stdin: give it as one line, or run the command in a terminal to be asked", what)
			}
			return "", fmt.Errorf("read %s: %w", what, err)
		}
		if !isPrefix {
			break
		}
	}
	if len(line) == 0 {
		return "", fmt.Errorf("the %s on stdin is an empty line", what)
	}
	return string(line), nil
}

// readNew returns a new secret; on a terminal it asks twice so that a typo
// does not lock anyone out.
func (s *secretReader) readNew(what string) (string, error) {
	v, err := s.read(what)
	if err != nil {
		return "", err
	}
	if _, ok := s.terminal(); ok {
		again, err := s.read(what + " (again)")
		if err != nil {
			return "", err
		}
		if again != v {
			return "", fmt.Errorf("the %s and its repetition differ; nothing was changed", what)
		}
	}
	return v, nil
}

func upperFirst(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}
