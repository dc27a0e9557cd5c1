package learn

import (
	"errors"
	"fmt"
	"os"
	"runtime/debug"

	"golang.org/x/sys/unix"
)

// NewFileWriter returns a Writer on f, a regular file opened for reading
// and writing, that writes each line without a system call: into a
// shared mapping of f, which is f's page cache itself. A line is in the
// file the moment it is recorded, as with write(2): it survives a
// SIGKILL of the learner and the kill of its whole cgroup (only a crash
// of the machine loses what was not written back, as with write(2)).
//
// The file grows by mapChunk at a time, reserved with fallocate (so a
// full disk is an error at the next chunk, not a SIGBUS in the middle
// of a line). Close cuts what was reserved and not written; a learner
// killed before Close leaves the file ended by up to mapChunk NUL bytes,
// which readers skip (Reader, and the README's format section says so).
//
// Where f cannot be mapped (not a regular file, opened write-only, a
// filesystem without fallocate), the Writer writes each line with
// write(2), as NewWriter's.
func NewFileWriter(f *os.File) *Writer {
	w := NewWriter(f)
	var st unix.Stat_t
	fd := int(f.Fd())
	if unix.Fstat(fd, &st) != nil || st.Mode&unix.S_IFMT != unix.S_IFREG {
		return w
	}
	m := &fileMap{fd: fd, end: st.Size}
	if m.grow(0) != nil {
		return w
	}
	w.m = m
	return w
}

// mapChunk is how much of the file is mapped and reserved at a time: a
// few thousand lines, one fallocate, mmap and munmap for them.
const mapChunk = 1 << 20

// fileMap is the mapped part of the file a Writer writes into.
type fileMap struct {
	fd   int
	data []byte // the mapping of the file from base
	base int64
	end  int64 // where the next line goes
	err  error // a fault: the file was cut under the Writer
}

// grow maps a new chunk holding at least n bytes from m.end.
func (m *fileMap) grow(n int) error {
	page := int64(os.Getpagesize())
	base := m.end &^ (page - 1)
	size := (m.end - base + int64(n) + mapChunk + page - 1) &^ (page - 1)
	if err := unix.Fallocate(m.fd, 0, base, size); err != nil {
		return fmt.Errorf("reserve room in the observations file: %w", err)
	}
	data, err := unix.Mmap(m.fd, base, int(size), unix.PROT_READ|unix.PROT_WRITE, unix.MAP_SHARED|unix.MAP_POPULATE)
	if err != nil {
		return fmt.Errorf("map the observations file: %w", err)
	}
	if m.data != nil {
		unix.Munmap(m.data)
	}
	m.data, m.base = data, base
	return nil
}

// write copies line after what was written.
func (m *fileMap) write(line []byte) error {
	if m.err != nil {
		return m.err
	}
	if m.end+int64(len(line)) > m.base+int64(len(m.data)) {
		if err := m.grow(len(line)); err != nil {
			return err
		}
	}
	if err := m.copy(line); err != nil {
		m.err = err
		return err
	}
	m.end += int64(len(line))
	return nil
}

// errFileCut is a fault in the mapping: someone truncated the file.
var errFileCut = errors.New("the observations file was truncated by another process")

// copy copies line into the mapping; a fault (the file truncated by
// another process under the mapping) is an error, not a crash.
func (m *fileMap) copy(line []byte) (err error) {
	defer debug.SetPanicOnFault(debug.SetPanicOnFault(true))
	defer func() {
		if r := recover(); r != nil {
			if _, fault := r.(interface{ Addr() uintptr }); !fault {
				panic(r)
			}
			err = errFileCut
		}
	}()
	copy(m.data[m.end-m.base:], line)
	return nil
}

// close cuts the file after what was written, and unmaps it.
func (m *fileMap) close() error {
	if m.data == nil {
		return nil
	}
	unix.Munmap(m.data)
	m.data = nil
	if err := unix.Ftruncate(m.fd, m.end); err != nil {
		return fmt.Errorf("cut the observations file after its last line: %w", err)
	}
	return m.err
}
