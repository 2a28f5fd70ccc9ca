package auth

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"sync"
)

// indexRun probes the sparse index files of the known crates and of crates
// that cannot exist, three ways each, and learns the versions to download.
type indexRun struct {
	a                 *audit
	anon, bogus, tok  *tally
	missingTok        *tally
	mu                sync.Mutex
	existing, missing []shapeSample
}

// shapeSample is an anonymous answer kept for the enumeration check.
type shapeSample struct {
	label  string
	shape  string
	served bool
	probe  probeResult
}

func (a *audit) indexTasks() (*indexRun, []func(context.Context)) {
	r := &indexRun{a: a, anon: newTally(), bogus: newTally(), tok: newTally(), missingTok: newTally()}
	var tasks []func(context.Context)
	for i := range a.specs {
		spec := &a.specs[i]
		name := spec.Name
		fileURL := a.target.url(indexPath(name))
		tasks = append(tasks, func(ctx context.Context) {
			p := a.probe(ctx, endpointIndex, request{URL: fileURL}, "")
			verdict, d := refusalVerdict(p, true)
			r.anon.record(verdict, d)
			r.sample(&r.existing, name, p, name, "", indexPath(name))
			if a.auth == "" && p.answered() && isSuccess(p.resp.Status) && !p.resp.Truncated {
				r.learn(spec, parseIndexFile(p.resp.Body), d.URL)
			}
		}, func(ctx context.Context) {
			verdict, d := refusalVerdict(a.probe(ctx, endpointIndex, request{URL: fileURL}, a.bogus), true)
			r.bogus.record(verdict, d)
		})
		if a.auth != "" {
			tasks = append(tasks, func(ctx context.Context) {
				p := a.probe(ctx, endpointIndex, request{URL: fileURL}, a.auth)
				verdict, d := acceptVerdict(p, validIndexFile(name))
				if verdict == statusPass {
					if !r.learn(spec, parseIndexFile(p.resp.Body), d.URL) {
						verdict, d.Message = statusFail, fmt.Sprintf("version %s of %s is not in the index", r.version(spec), name)
					}
				} else if p.answered() && p.resp.Status == 404 {
					d.Message = "404 with the token: the crate does not exist, or the token cannot see it"
				}
				r.tok.record(verdict, d)
			})
		}
	}
	for range 2 {
		name := missingName()
		fileURL := a.target.url(indexPath(name))
		tasks = append(tasks, func(ctx context.Context) {
			p := a.probe(ctx, endpointIndex, request{URL: fileURL}, "")
			r.sample(&r.missing, name, p, name, "", indexPath(name))
		})
		if a.auth != "" {
			tasks = append(tasks, func(ctx context.Context) {
				p := a.probe(ctx, endpointIndex, request{URL: fileURL}, a.auth)
				d := checkDetail{URL: redactedURL(fileURL), Status: p.status()}
				switch {
				case !p.answered():
					d.Message = p.noAnswer()
					r.missingTok.record(statusWarn, d)
				case isRefusal(p.resp.Status, true) && p.resp.Status != 401 && p.resp.Status != 403:
					d.Message = fmt.Sprintf("answered %d", p.resp.Status)
					r.missingTok.record(statusPass, d)
				default:
					d.Message = fmt.Sprintf("answered %d for a crate that does not exist; cargo reports that as an error, not a missing crate", p.resp.Status)
					r.missingTok.record(statusWarn, d)
				}
			})
		}
	}
	return r, tasks
}

// learn fills in the spec's version and checksum from index lines.
func (r *indexRun) learn(spec *crateSpec, lines []indexLine, _ string) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return spec.pickVersion(lines)
}

func (r *indexRun) version(spec *crateSpec) string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return spec.Version
}

func (r *indexRun) sample(into *[]shapeSample, label string, p probeResult, name, version, path string) {
	s := shapeSample{label: label, shape: answerShape(p, name, version, path), probe: p,
		served: p.answered() && isSuccess(p.resp.Status)}
	r.mu.Lock()
	defer r.mu.Unlock()
	*into = append(*into, s)
}

// finish adds the index checks.
func (r *indexRun) finish() {
	a := r.a
	root := redactedURL(a.target.Base.String())
	noCrates := "skipped: " + a.noCratesReason()
	if len(a.specs) == 0 {
		a.checks.skip("index.anonymous", root, noCrates)
		a.checks.skip("index.bogus-token", root, noCrates)
	} else {
		a.checks.add(r.anon.result("index.anonymous", root, "index file",
			tallyMessages{pass: "refused anonymous requests", fail: "answered anonymous requests", warn: "gave odd answers to anonymous requests"}))
		a.checks.add(r.bogus.result("index.bogus-token", root, "index file",
			tallyMessages{pass: "refused a bogus token", fail: "accepted a bogus token", warn: "gave odd answers to a bogus token"}))
	}
	switch {
	case a.auth == "":
		a.checks.skip("index.token", root, noTokenReason)
		a.checks.skip("index.missing-crate", root, noTokenReason)
	case len(a.specs) == 0:
		a.checks.skip("index.token", root, noCrates)
		a.checks.add(r.missingTok.result("index.missing-crate", root, "missing crate",
			tallyMessages{pass: "answered as missing", warn: "did not answer 404, 410 or 451"}))
	default:
		a.checks.add(r.tok.result("index.token", root, "index file",
			tallyMessages{pass: "served with the token", fail: "failed with the token", warn: "failed with the token"}))
		a.checks.add(r.missingTok.result("index.missing-crate", root, "missing crate",
			tallyMessages{pass: "answered as missing", warn: "did not answer 404, 410 or 451"}))
	}
	a.checks.add(enumerationResult("index.enumeration", root, "index.anonymous", "crate", r.existing, r.missing, noCrates))
}

// enumerationResult compares the anonymous answers for existing and missing
// things: they must all look alike.
func enumerationResult(id, url, servedCheck, noun string, existing, missing []shapeSample, noCrates string) checkResult {
	var refused []shapeSample
	for _, s := range existing {
		if !s.served {
			refused = append(refused, s)
		}
	}
	switch {
	case len(existing) == 0:
		return checkResult{ID: id, Status: statusSkip, URL: url, Message: noCrates}
	case len(refused) == 0:
		return checkResult{ID: id, Status: statusSkip, URL: url,
			Message: "skipped: anonymous requests are served, not refused (see " + servedCheck + ")"}
	}
	shapes := map[string]bool{}
	for _, s := range append(append([]shapeSample(nil), refused...), missing...) {
		shapes[s.shape] = true
	}
	n := len(refused) + len(missing)
	if len(shapes) <= 1 {
		return checkResult{ID: id, Status: statusPass, URL: url, Requests: n,
			Message: fmt.Sprintf("anonymous answers for %d existing and %d missing %ss are identical (%s)", len(refused), len(missing), noun, describeShape(refused[0].probe))}
	}
	var details []checkDetail
	seen := map[string]bool{}
	for _, group := range []struct {
		kind    string
		samples []shapeSample
	}{{"existing", refused}, {"missing", missing}} {
		for _, s := range group.samples {
			key := group.kind + s.shape
			if seen[key] {
				continue
			}
			seen[key] = true
			details = append(details, checkDetail{URL: redactedURL(s.probe.url), Status: s.probe.status(),
				Message: fmt.Sprintf("%s %s: %s", group.kind, noun, describeShape(s.probe))})
		}
	}
	sort.SliceStable(details, func(i, j int) bool {
		return strings.HasPrefix(details[i].Message, "existing") && !strings.HasPrefix(details[j].Message, "existing")
	})
	how := "differ"
	described := map[string]bool{}
	for _, d := range details {
		_, desc, _ := strings.Cut(d.Message, ": ")
		described[desc] = true
	}
	if len(described) == 1 {
		how = "have the same status but different bodies"
	}
	return checkResult{ID: id, Status: statusFail, URL: url, Requests: n, Details: details,
		Message: fmt.Sprintf("anonymous answers for existing and missing %ss %s, so anyone can tell which exist", noun, how)}
}

// validIndexFile checks that an answer is the index file of name.
func validIndexFile(name string) func(*response) string {
	return func(resp *response) string {
		lines := parseIndexFile(resp.Body)
		for _, l := range lines {
			if strings.EqualFold(l.Name, name) {
				return ""
			}
		}
		return "the answer holds no index entry for " + name
	}
}

// noCratesReason says why no crate-level check could run.
func (a *audit) noCratesReason() string {
	if a.crateNote != "" {
		return a.crateNote
	}
	return "no crate known to exist: name some with --crate or --crates-from"
}
