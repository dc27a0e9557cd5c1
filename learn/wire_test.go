package learn

import (
	"reflect"
	"strings"
	"testing"

	"github.com/landlearn/landlearn/policy"
)

// The access list is one list of names; decoding sorts them by kind and
// keeps what it does not know, in order.
func TestAccessNames(t *testing.T) {
	line := `{"seq":1,"path":"/a","access":["fs.read_file","signal","bind_tcp","x_new","execute"]}`
	o, err := ReadAll(strings.NewReader(line), "a.jsonl")
	if err != nil || len(o) != 1 {
		t.Fatal(err)
	}
	if o[0].FS != policy.FSReadFile|policy.FSExecute || o[0].Net != policy.NetBindTCP || !reflect.DeepEqual(o[0].Unknown, []string{"signal", "x_new"}) {
		t.Errorf("decoded %+v", o[0])
	}
	if got := o[0].AccessNames(); !reflect.DeepEqual(got, []string{"execute", "read_file", "bind_tcp", "signal", "x_new"}) {
		t.Errorf("AccessNames = %q", got)
	}
}
