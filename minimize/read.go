package minimize

import "github.com/landlearn/landlearn/learn"

// ReadRun folds the observations of a JSONL file (learn's `--raw` format)
// into b: each of its runs (a file can be several concatenated) after
// b.StartRun with its header. The Reader decodes on other cores while b adds, and its
// observations' paths share its buffers: b copies what it keeps (own).
// It returns rd.Err(); after an error b holds part of the file: discard
// it.
func ReadRun(b *Builder, rd *learn.Reader) error {
	for run := range rd.Runs() {
		b.StartRun(run.Header)
		for o := range run.Observations() {
			b.add(o)
		}
	}
	return rd.Err()
}
