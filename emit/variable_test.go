package emit

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/landlearn/landlearn/policy"
)

// The load-back check refuses a learned rule whose path holds "${" past
// its leading variable: such a path loads back as the same string, but
// it came from a file name (${project.basedir}) and run would expand it
// as a variable. A leading variable, and variables in rules written by
// hand, are written.
func TestWriteFileRefusesAFileNamesVariable(t *testing.T) {
	dir := t.TempDir()
	for _, bad := range []string{"/srv/app/${NOPE}", "${PWD}/${HOME}", "${PWD}/sub/${BASEDIR}/x"} {
		p := policy.New(7)
		p.FS = []policy.FSRule{{Path: bad, Access: policy.FSReadFile, Learned: true}}
		path := filepath.Join(dir, "p.yaml")
		err := WriteFile(path, p, true)
		if err == nil || !strings.Contains(err.Error(), `holds "${" past its start`) || !strings.Contains(err.Error(), bad) {
			t.Errorf("%s: WriteFile = %v, want a refusal", bad, err)
		}
		if _, err := os.Stat(path); err == nil {
			t.Errorf("%s: the policy was written", bad)
		}
	}
	p := policy.New(7)
	p.FS = []policy.FSRule{
		{Path: "${PWD}/out", Access: policy.FSReadFile, Learned: true},
		{Path: "/srv/x", Access: policy.FSReadFile, Learned: true},
		{Path: "${HOME}/${APP}", Access: policy.FSReadFile},
	}
	if err := WriteFile(filepath.Join(dir, "ok.yaml"), p, false); err != nil {
		t.Error(err)
	}
}
