package auth

import (
	"context"
	"encoding/json"
	"fmt"
	"mime"
	"net/http"
	"sort"
	"strings"
)

// gitPhase probes a git index over smart and dumb HTTP, three ways, then
// fetches it with git (with the token when there is one) to read
// config.json, which for a git index says whether cargo sends the token on
// downloads.
func (a *audit) gitPhase(ctx context.Context) error {
	base := a.target.Base.String()
	shown := redactedURL(base)
	infoRefs := base + "/info/refs?service=git-upload-pack"
	smartGet := request{URL: infoRefs}
	smartPost := request{Method: http.MethodPost, URL: base + "/git-upload-pack", Body: []byte("0000"),
		Header: http.Header{"Content-Type": {"application/x-git-upload-pack-request"}}}
	dumb := []request{{URL: base + "/info/refs"}, {URL: base + "/HEAD"}, {URL: base + "/objects/info/packs"}}

	first := a.probe(ctx, endpointGit, smartGet, "")
	if err := unreachableError(first, a.target); err != nil {
		return err
	}
	bogusGit := bogusHeader(&verifyToken{header: "Basic x"}, a.bogusRaw)
	smartAnon, smartBogus, dumbAnon, dumbBogus := newTally(), newTally(), newTally(), newTally()
	var challenges []probeResult
	recordSmartAnon := func(p probeResult, infoRefs bool) {
		verdict, d := refusalVerdict(p, true)
		if infoRefs && p.answered() && (p.resp.Status == 403 || p.resp.Status == 404) {
			verdict, d.Message = statusFail, fmt.Sprintf("answered %d: git and libgit2 send credentials only after a 401, so fetching fails", p.resp.Status)
		}
		if !infoRefs && p.answered() && p.resp.Status == 404 {
			verdict = statusWarn
		}
		smartAnon.record(verdict, d)
	}
	recordSmartAnon(first, true)
	challenges = append(challenges, first)
	var tok probeResult
	var snap *gitSnapshot
	var snapErr error
	tasks := []func(context.Context){
		func(ctx context.Context) {
			p := a.probe(ctx, endpointGit, smartPost, "")
			recordSmartAnon(p, false)
		},
		func(ctx context.Context) {
			verdict, d := refusalVerdict(a.probe(ctx, endpointGit, smartGet, bogusGit), true)
			smartBogus.record(verdict, d)
		},
		func(ctx context.Context) {
			verdict, d := refusalVerdict(a.probe(ctx, endpointGit, smartPost, bogusGit), true)
			smartBogus.record(verdict, d)
		},
		func(ctx context.Context) {
			header := ""
			if a.token != nil {
				header = a.token.gitHeader()
			}
			snap, snapErr = a.fetchGitIndex(ctx, header)
		},
	}
	for _, req := range dumb {
		tasks = append(tasks, func(ctx context.Context) {
			p := a.probe(ctx, endpointGit, req, "")
			verdict, d := refusalVerdict(p, true)
			dumbAnon.record(verdict, d)
		}, func(ctx context.Context) {
			verdict, d := refusalVerdict(a.probe(ctx, endpointGit, req, bogusGit), true)
			dumbBogus.record(verdict, d)
		})
	}
	if a.token != nil {
		tasks = append(tasks, func(ctx context.Context) {
			tok = a.probe(ctx, endpointGit, smartGet, a.token.gitHeader())
		})
	}
	a.parallel(ctx, tasks)
	a.git = snap

	a.checks.add(smartAnon.result("git.smart.anonymous", shown, "smart-protocol request",
		tallyMessages{pass: "refused anonymous requests", fail: "did not refuse anonymous requests with 401", warn: "gave odd answers to anonymous requests"}))
	a.checks.add(smartBogus.result("git.smart.bogus-token", shown, "smart-protocol request",
		tallyMessages{pass: "refused a bogus password", fail: "accepted a bogus password", warn: "gave odd answers to a bogus password"}))
	a.checks.add(dumbAnon.result("git.dumb.anonymous", shown, "dumb-protocol path",
		tallyMessages{pass: "refused anonymous requests", fail: "served anonymous requests", warn: "gave odd answers to anonymous requests"}))
	a.checks.add(dumbBogus.result("git.dumb.bogus-token", shown, "dumb-protocol path",
		tallyMessages{pass: "refused a bogus password", fail: "accepted a bogus password", warn: "gave odd answers to a bogus password"}))
	a.judgeGitChallenge(first, shown)
	if a.token == nil {
		a.checks.skip("git.smart.token", shown, noTokenReason)
	} else {
		status, d := acceptVerdict(tok, validUploadPack)
		a.checks.add(checkResult{ID: "git.smart.token", Status: status, URL: redactedURL(infoRefs), Requests: 1,
			Message: "the token as Basic password: " + d.Message})
	}
	a.readGitConfig(ctx, snap, snapErr)
	configShown := redactedURL(base) + " config.json"
	a.judgeAuthRequired(configShown)
	a.gitTokenScheme(ctx, shown)
	return nil
}

func (a *audit) judgeGitChallenge(first probeResult, shown string) {
	if !first.answered() || first.resp.Status != 401 {
		a.checks.skip("git.challenge", shown, "skipped: the git index did not answer 401 (see git.smart.anonymous)")
		return
	}
	challenge := challengeOf(first.resp.Header)
	if basicChallenge.MatchString(challenge) {
		a.checks.add(checkResult{ID: "git.challenge", Status: statusPass, URL: shown, Requests: 1,
			Message: "the 401 carries a Basic challenge"})
		return
	}
	msg := "the 401 carries no WWW-Authenticate header"
	if challenge != "" {
		msg = "the 401 challenges with " + firstWord(challenge) + ", not Basic"
	}
	a.checks.add(checkResult{ID: "git.challenge", Status: statusWarn, URL: shown, Requests: 1, Message: msg})
}

// readGitConfig takes config.json from the fetched index.
func (a *audit) readGitConfig(ctx context.Context, snap *gitSnapshot, snapErr error) {
	if snap == nil {
		reason := "the git index could not be fetched"
		if snapErr != nil {
			reason += ": " + snapErr.Error()
		}
		if a.token == nil {
			reason += " (no token)"
		}
		a.configWhy = reason
		return
	}
	data, err := snap.readFile(ctx, "config.json")
	if err != nil {
		a.configWhy = "the git index has no readable config.json: " + err.Error()
		return
	}
	var cfg indexConfig
	if err := json.Unmarshal(data, &cfg); err != nil || cfg.DL == "" {
		a.configWhy = "the git index's config.json has no dl"
		return
	}
	a.config = &cfg
}

// gitTokenScheme checks the form of cargo's token where cargo sends it for
// a git index: the web API (downloads are checked by download.token).
func (a *audit) gitTokenScheme(ctx context.Context, shown string) {
	if a.auth == "" {
		a.checks.skip("transport.token-scheme", shown, noTokenReason)
		return
	}
	a.apiScheme(ctx, "a git index takes git credentials, so cargo's token form is judged on the web API", shown)
}

// discoverFromGit lists the crates of a fetched git index.
func (a *audit) discoverFromGit(ctx context.Context) {
	if a.git == nil {
		a.crateNote = "no crates named, and the git index could not be fetched to list them: name some with --crate"
		return
	}
	files, err := a.git.listFiles(ctx)
	if err != nil {
		a.crateNote = "no crates named, and listing the git index failed: " + err.Error()
		return
	}
	var names []string
	for _, f := range files {
		name := f[strings.LastIndexByte(f, '/')+1:]
		if f == "config.json" || strings.HasPrefix(f, ".") || !validCrateName(name) || indexPath(name) != strings.ToLower(f) {
			continue
		}
		names = append(names, name)
	}
	sort.Strings(names)
	for _, n := range names {
		a.specs = append(a.specs, crateSpec{Name: n})
	}
	a.crateFrom = "git-index"
	a.crateNote = fmt.Sprintf("discovered %d crates in the git index", len(names))
}

// gitVersions fills in versions and checksums from the fetched index.
func (a *audit) gitVersions(ctx context.Context) {
	if a.git == nil || len(a.specs) == 0 {
		return
	}
	paths := make([]string, len(a.specs))
	for i, s := range a.specs {
		paths[i] = indexPath(s.Name)
	}
	files, err := a.git.readFiles(ctx, paths)
	if err != nil {
		return
	}
	for i := range a.specs {
		a.specs[i].pickVersion(parseIndexFile(files[paths[i]]))
	}
}

// validUploadPack checks that an answer is a smart-protocol advertisement.
func validUploadPack(resp *response) string {
	media, _, _ := mime.ParseMediaType(resp.Header.Get("Content-Type"))
	if media != "application/x-git-upload-pack-advertisement" {
		return "the answer is not a git-upload-pack advertisement (" + media + ")"
	}
	return ""
}
