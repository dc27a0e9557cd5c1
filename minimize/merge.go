package minimize

// fork returns an empty Builder for more observations of b's current
// run, to be merged back into b.
func (b *Builder) fork() *Builder {
	w := newBuilder(b.o)
	w.anchors = b.anchors
	w.runRoot, w.runs = b.runRoot, b.runs
	w.runStarted = true
	return w
}

// merge adds what w recorded to b. Every field is a union, a sum or a
// minimum, so the result does not depend on which observations went to
// which Builder, nor on the order of merges.
func (b *Builder) merge(w *Builder) {
	b.added += w.added
	b.relative += w.relative
	for n, c := range w.unknown {
		b.unknown[n] += c
	}
	for exe := range w.launchers {
		b.launchers[exe] = true
	}
	ids := make([]int32, len(w.exeName))
	for i, name := range w.exeName {
		ids[i] = b.exeIDOf(name)
	}
	for g, wn := range w.nodes {
		bn := b.nodes[g]
		if bn == nil {
			bn = &node{path: g, example: wn.example}
			b.nodes[g] = bn
		}
		bn.example = betterExample(bn.example, wn.example, g)
		bn.access |= wn.access
		bn.dir = bn.dir || wn.dir
		bn.count += wn.count
		bn.exes.addAll(wn.exes, ids)
		if bn.gen == "" || (wn.gen != "" && wn.gen < bn.gen) {
			bn.gen = wn.gen
		}
	}
	// Distinct paths are counted where they are first seen by b, so a
	// path both Builders saw counts once.
	for p, rp := range w.raw {
		if seen, ok := b.raw[p]; ok {
			if rp.file && !seen.file {
				seen.file = true
				b.raw[p] = seen
				b.addFile(p)
			}
			continue
		}
		bn := b.nodes[rp.n.path]
		bn.paths++
		rp.n = bn
		b.raw[p] = rp
		if rp.file {
			b.addFile(p)
		}
	}
	for p, pidFree := range w.unstable {
		b.unstable[p] = pidFree
	}
	for k, m := range w.moves {
		b.addMove(k.src, k.dstDir, m.dst, m.link, m.dir)
	}
	for port, wn := range w.net {
		bn := b.net[port]
		if bn == nil {
			bn = &netNode{}
			b.net[port] = bn
		}
		bn.access |= wn.access
		bn.count += wn.count
		bn.exes.addAll(wn.exes, ids)
	}
	for name, ws := range w.scopes {
		bs := b.scopes[name]
		if bs == nil {
			bs = &scopeNote{target: ws.target}
			b.scopes[name] = bs
		}
		bs.count += ws.count
		bs.exes.addAll(ws.exes, ids)
		if ws.target != "" && (bs.target == "" || ws.target < bs.target) {
			bs.target = ws.target
		}
	}
	for text, ww := range w.warnings {
		bw := b.warnings[text]
		if bw == nil {
			bw = &warnNote{}
			b.warnings[text] = bw
		}
		bw.count += ww.count
		bw.exes.addAll(ww.exes, ids)
	}
}
