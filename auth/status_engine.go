package auth

import (
	"context"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"

	"github.com/cargo-auth/cargo-auth/cargoconfig"
	"github.com/cargo-auth/cargo-auth/credentials"
	"github.com/cargo-auth/cargo-auth/internal/redact"
)

// hostOS is the OS whose providers cargo runs.
var hostOS = runtime.GOOS

// statusEngine checks registries; one is shared by all the registries of
// a report, which are checked in parallel.
type statusEngine struct {
	opts   *statusOptions
	cfg    *cargoconfig.Config
	client *registryClient // nil with --offline

	storeMu sync.Mutex
	stores  map[string]storeResult
}

type storeResult struct {
	store credentials.Store
	err   error
}

// openStore opens cargo-auth's store once per backend.
func (e *statusEngine) openStore(ctx context.Context, backend string) (credentials.Store, error) {
	e.storeMu.Lock()
	defer e.storeMu.Unlock()
	if r, ok := e.stores[backend]; ok {
		return r.store, r.err
	}
	s, err := e.opts.Factory.openStore(ctx, backend)
	e.stores[backend] = storeResult{s, err}
	return s, err
}

// buildStatusReport checks every registry in parallel and adds the
// problems of the configuration as a whole.
func buildStatusReport(ctx context.Context, opts *statusOptions, cfg *cargoconfig.Config, regs []*cargoconfig.Registry) (*statusReport, error) {
	f := opts.Factory
	e := &statusEngine{opts: opts, cfg: cfg, stores: map[string]storeResult{}}
	if !opts.Offline {
		caInfo := ""
		if v, ok, err := cfg.HTTPCAInfo(); err != nil {
			return nil, err
		} else if ok {
			caInfo = v.Value
		}
		client, err := newRegistryClient(f, clientOptions{Timeout: opts.Timeout, CAInfo: caInfo, MaxBody: probeSize})
		if err != nil {
			return nil, err
		}
		e.client = client
	}
	rep := &statusReport{
		SchemaVersion:   statusSchemaVersion,
		Tool:            reportTool{Name: "cargo-auth", Version: f.Build.resolved().Version},
		Cwd:             cfg.Cwd(),
		ConfigFiles:     append([]string{}, cfg.Files()...),
		CredentialsFile: cfg.CredentialsFile(),
		Offline:         opts.Offline,
		Registries:      make([]*statusRegistry, len(regs)),
		Problems:        []statusProblem{},
	}
	var wg sync.WaitGroup
	for i, reg := range regs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rep.Registries[i] = e.check(ctx, reg)
		}()
	}
	wg.Wait()
	e.configProblems(rep)
	e.urlLeakProblems(ctx, rep)
	for _, r := range rep.Registries {
		r.finish()
	}
	rep.summarize()
	return rep, nil
}

// check builds one registry's block.
func (e *statusEngine) check(ctx context.Context, reg *cargoconfig.Registry) *statusRegistry {
	r := &statusRegistry{
		Name:     reg.Name,
		Protocol: string(reg.Protocol),
		Defined:  originOfConfig(reg.Index.Origin),
		Env:      statusEnvs{Index: reg.Env.Index, Token: reg.Env.Token, CredentialProvider: reg.Env.CredentialProvider},
	}
	index := reg.Index.Value
	if reg.Name == cargoconfig.CratesIO {
		index, r.Protocol = cratesIOSparseIndex, string(cargoconfig.ProtocolSparse)
		r.Defined = statusOrigin{Kind: "default", Display: "built into cargo"}
	} else {
		idx, err := e.cfg.RegistryIndex(reg.Name)
		if err != nil {
			r.IndexURL = redact.URL(index)
			r.add(newProblem(probConfigInvalid, "cargo rejects the registry's index: "+redact.Text(err.Error()),
				"fix the index URL in "+reg.Index.Origin.String()))
			return r
		}
		index = idx.Value
	}
	r.IndexURL = redact.URL(index)
	in := chainInput{credName: reg.Name, indexURL: index}
	target, ok := e.resolveTarget(r, &in)
	if !ok {
		return r
	}
	e.staticProblems(r, reg, target)

	var live *liveCheck
	switch {
	case target.protocol == protocolGit:
		// A git index's auth-required sits in config.json inside the
		// repository, which status does not clone: cargo's token is then
		// needed only for downloads, and status does not assume it.
		in.authRequired = false
		if e.client != nil && target.probeURL != "" {
			live = e.startLive(ctx, r, target)
			live.anonymous(ctx)
		}
	case e.client != nil && target.probeURL != "":
		live = e.startLive(ctx, r, target)
		req := live.anonymous(ctx)
		in.authRequired = req
		r.AuthRequired = &req
	case reg.Name != cargoconfig.CratesIO && target.probeURL != "":
		in.authRequired = true // offline: assume the registry asks for a token
		r.AuthRequired = &in.authRequired
	case reg.Name == cargoconfig.CratesIO:
		r.AuthRequired = new(bool)
	}
	if in.credName != "" {
		e.simulateChain(ctx, r, in)
	} else if target.userinfo != "" {
		e.userinfoToken(r, target)
	}
	if live != nil {
		live.withToken(ctx)
	}
	return r
}

// cratesIOSparseIndex is where cargo reads crates.io from.
const cratesIOSparseIndex = "sparse+https://index.crates.io/"

// staticProblems are those visible in the configuration alone.
func (e *statusEngine) staticProblems(r *statusRegistry, reg *cargoconfig.Registry, t statusTarget) {
	if t.base != nil && t.base.Scheme == "http" && !isLoopback(t.base.Hostname()) {
		r.add(newProblem(probHTTPIndex,
			"the index is plain http on "+t.base.Hostname()+": cargo sends the token there in clear text, and status does not",
			"serve the registry over https and change the index URL to https://"))
	}
	if len(r.ReplacedBy) == 0 && r.CredentialsFrom != "" {
		r.add(newProblem(probEnvRenamed,
			fmt.Sprintf("cargo reads this registry's credentials under the name `%s` (%s names the same index): the settings of `%s` for credentials are ignored",
				r.CredentialsFrom, cargoconfig.EnvPrefix(r.CredentialsFrom)+"_INDEX", r.Name),
			"use one name for the registry in the configuration and in the environment"))
	}
	for _, w := range e.cfg.Warnings() {
		switch w.Kind {
		case cargoconfig.WarnNameCollision:
			if strings.Contains(w.Message, "`"+reg.Name+"`") {
				r.add(newProblem(probEnvCollision, w.Message,
					"rename one of the registries so that their CARGO_REGISTRIES_<NAME>_* variables differ"))
			}
		case cargoconfig.WarnRegistryRenamed:
			if strings.Contains(w.Message, "`"+reg.Name+"`") {
				r.add(newProblem(probEnvRenamed, w.Message,
					"name the registry the same in the configuration and in "+w.Origin.String()))
			}
		}
	}
}

// configProblems are those of the configuration as a whole.
func (e *statusEngine) configProblems(rep *statusReport) {
	for _, w := range e.cfg.Warnings() {
		switch w.Kind {
		case cargoconfig.WarnLegacyShadows:
			p := newProblem(probLegacyShadows, w.Message,
				"merge "+w.Origin.Path+" into "+w.Origin.Path+".toml and delete it")
			p.Origin = w.Origin.String()
			rep.Problems = append(rep.Problems, p)
		case cargoconfig.WarnLegacyFile:
			p := newProblem(probLegacyFile, w.Message, "rename "+w.Origin.Path+" to "+w.Origin.Path+".toml")
			p.Origin = w.Origin.String()
			rep.Problems = append(rep.Problems, p)
		}
	}
	e.unshownPlaintext(rep)
}

// unshownPlaintext reports tokens in credentials.toml for registries no
// block shows (a registry removed from the configuration, say).
func (e *statusEngine) unshownPlaintext(rep *statusReport) {
	path := e.cfg.CredentialsFile()
	if path == "" {
		return
	}
	found, _, err := credentials.ReadCredentialsFile(path)
	if err != nil {
		return
	}
	shown := map[string]bool{}
	for _, r := range rep.Registries {
		shown[r.Name] = true
		if r.CredentialsFrom != "" {
			shown[r.CredentialsFrom] = true
		}
	}
	for _, c := range found {
		if shown[c.Registry] {
			continue
		}
		p := newProblem(probTokenPlaintext,
			"a token for "+c.Registry+", a registry status does not show, is kept in plain text in "+c.Where(),
			"move it to the keyring with cargo auth import, or delete it if the registry is gone")
		p.Origin = c.Where()
		rep.Problems = append(rep.Problems, p)
	}
}

// libsecretLoadable reports whether cargo:libsecret could load
// libsecret-1.so.0 from the usual library directories.
func libsecretLoadable() bool {
	dirs := []string{"/usr/lib", "/usr/lib64", "/lib", "/lib64", "/usr/local/lib"}
	if matches, _ := filepath.Glob("/usr/lib/*-linux-gnu"); len(matches) > 0 {
		dirs = append(dirs, matches...)
	}
	if matches, _ := filepath.Glob("/lib/*-linux-gnu"); len(matches) > 0 {
		dirs = append(dirs, matches...)
	}
	for _, ld := range strings.Split(os.Getenv("LD_LIBRARY_PATH"), ":") {
		if ld != "" {
			dirs = append(dirs, ld)
		}
	}
	for _, d := range dirs {
		if _, err := os.Stat(filepath.Join(d, "libsecret-1.so.0")); err == nil {
			return true
		}
	}
	return false
}

// parseIndexBase is an index URL without cargo's prefixes and userinfo.
func parseIndexBase(index string) (*url.URL, string, error) {
	raw := strings.TrimPrefix(strings.TrimPrefix(index, "sparse+"), "registry+")
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" {
		return nil, "", err
	}
	userinfo := ""
	if u.User != nil {
		if pw, ok := u.User.Password(); ok {
			userinfo = u.User.Username() + ":" + pw
		} else if redact.LooksLikeToken(u.User.Username()) {
			userinfo = u.User.Username() + ":"
		}
	}
	u.User = nil
	u.Fragment = ""
	return u, userinfo, nil
}
