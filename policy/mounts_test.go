package policy

import (
	"reflect"
	"testing"
)

// TestMountAliases: a directory in a bind mount is also where its file
// system is mounted under its own name; a directory in no bind mount has
// no other name.
func TestMountAliases(t *testing.T) {
	mounts := parseMounts(`22 1 8:1 / / rw,relatime - ext4 /dev/sda1 rw
30 22 0:40 / /usr/src rw - tmpfs tmpfs rw
31 22 0:40 /app /srv/work\040dir rw - tmpfs tmpfs rw
32 22 8:1 /home/dev/proj /build rw - ext4 /dev/sda1 rw
`)
	for _, c := range []struct {
		real string
		want []string
	}{
		{"/srv/work dir", []string{"/usr/src/app"}},
		{"/srv/work dir/sub", []string{"/usr/src/app/sub"}},
		{"/build/x", []string{"/home/dev/proj/x"}},
		{"/usr/src/app", []string{"/srv/work dir"}},
		{"/home/dev/proj", []string{"/build"}},
		{"/home/dev/other", nil},
		{"/usr/src/other", nil},
	} {
		if got := mountAliases(mounts, c.real); !reflect.DeepEqual(got, c.want) {
			t.Errorf("mountAliases(%s) = %q, want %q", c.real, got, c.want)
		}
	}
}
