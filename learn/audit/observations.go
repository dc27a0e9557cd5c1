package audit

import (
	"fmt"
	"io/fs"
	"os"
	"strings"

	"github.com/landlearn/landlearn/learn"
	"github.com/landlearn/landlearn/policy"
)

// Observations turns a denial into the observations that grant it, in the
// trace backend's vocabulary: one for its fs rights (on the path the
// kernel logged, which for make_*, remove_* and refer is already the
// parent directory), one for its net rights (the port), one per scope
// (which the program needs off), and a warning per blocker no rule can
// allow (ptrace...). They share the record's serial as Seq.
func (d Denial) Observations() []learn.Observation {
	fsr, netr, scopes, other := d.Rights()
	base := learn.Observation{Seq: d.Serial, Syscall: d.SyscallName, PID: d.PID, Exe: d.Exe}
	var out []learn.Observation
	if fsr != 0 {
		o := base
		o.Path = d.Path
		if p, ok := strings.CutSuffix(d.Path, " (deleted)"); ok {
			o.Path, o.Deleted = p, true
		}
		o.Type = objectType(o.Path, fsr)
		o.FS = fsr
		out = append(out, o)
	}
	if netr != 0 && d.Port >= 0 && d.Port <= 0xffff {
		o := base
		o.Port = learn.PortPtr(uint16(d.Port))
		o.Net = netr
		out = append(out, o)
	}
	for _, s := range scopes.Names() {
		o := base
		o.Scope = s
		switch {
		case d.Opid != 0:
			o.Target = d.Opid
		case d.AbstractSocketName() != "":
			o.Target = d.AbstractSocketName()
		}
		out = append(out, o)
	}
	for _, b := range other {
		o := base
		o.Warning = fmt.Sprintf("%s denied by Landlock on %s: %s", b, d.Object(), WhyNoRule(b))
		out = append(out, o)
	}
	return out
}

// objectType is the observation type of path as it is now, or, when it
// is gone, what the rights imply: directory-only rights mean a directory.
func objectType(path string, rights policy.FSAccess) string {
	fi, err := os.Lstat(path)
	if err != nil {
		if rights&policy.DirOnlyRights() != 0 {
			return learn.TypeDir
		}
		return learn.TypeFile
	}
	return modeType(fi.Mode())
}

func modeType(m fs.FileMode) string {
	switch {
	case m.IsDir():
		return learn.TypeDir
	case m&fs.ModeSymlink != 0:
		return learn.TypeSymlink
	case m&fs.ModeCharDevice != 0:
		return learn.TypeChar
	case m&fs.ModeDevice != 0:
		return learn.TypeBlock
	case m&fs.ModeNamedPipe != 0:
		return learn.TypeFifo
	case m&fs.ModeSocket != 0:
		return learn.TypeSock
	}
	return learn.TypeFile
}
