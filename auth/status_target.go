package auth

import (
	"encoding/base64"
	"net/url"
	"strings"

	"github.com/cargo-auth/cargo-auth/cargoconfig"
	"github.com/cargo-auth/cargo-auth/credentials"
	"github.com/cargo-auth/cargo-auth/internal/redact"
)

// statusTarget is what cargo actually talks to for a registry: the
// registry itself, or the source that replaces it.
type statusTarget struct {
	// protocol is sparse or git.
	protocol string
	// base is the index URL without prefix and userinfo.
	base *url.URL
	// probeURL is what the live check asks (config.json, or git's
	// info/refs); "" when nothing is fetched over the network.
	probeURL string
	// userinfo is a user:password the replacement URL carries.
	userinfo string
}

// resolveTarget follows source replacement and registry renaming the way
// cargo does, updating in to the name and index cargo asks providers
// about. It reports false when the registry cannot be checked further.
func (e *statusEngine) resolveTarget(r *statusRegistry, in *chainInput) (statusTarget, bool) {
	chain, err := e.cfg.ReplacementOf(r.Name)
	if err != nil {
		r.add(newProblem(probConfigInvalid, "cargo rejects the source replacement of this registry: "+redact.Text(err.Error()),
			"correct the [source] tables named in the message"))
		return statusTarget{}, false
	}
	if len(chain) > 1 {
		r.ReplacedBy = chain[1:]
		final := chain[len(chain)-1]
		sources, err := e.cfg.Sources()
		if err != nil {
			r.add(newProblem(probConfigInvalid, "cargo rejects the [source] tables: "+redact.Text(err.Error()),
				"correct the [source] tables named in the message"))
			return statusTarget{}, false
		}
		switch src := sources[final]; {
		case src == nil:
			idx, err := e.cfg.RegistryIndex(final)
			if err != nil {
				r.add(newProblem(probConfigInvalid, "cargo rejects the replacement registry "+final+": "+redact.Text(err.Error()),
					"fix the index URL of "+final))
				return statusTarget{}, false
			}
			in.credName, in.indexURL = final, idx.Value
		case src.Registry.Value != "":
			name, err := e.cfg.RegistryByIndex(src.Registry.Value)
			if err != nil {
				r.add(newProblem(probConfigInvalid, redact.Text(err.Error()), "give each index URL to one registry only"))
				return statusTarget{}, false
			}
			in.credName, in.indexURL = name, src.Registry.Value
		default:
			// A local registry, a directory or a git source: no registry
			// token is involved.
			in.credName = ""
			return statusTarget{}, true
		}
	}
	if in.credName != "" && in.credName != cargoconfig.CratesIO {
		if name, err := e.cfg.RegistryByIndex(in.indexURL); err == nil && name != "" && name != in.credName {
			in.credName = name
		}
	}
	if in.credName != r.Name {
		r.CredentialsFrom = in.credName
	}
	t := statusTarget{protocol: protocolGit}
	if strings.HasPrefix(strings.ToLower(in.indexURL), "sparse+") {
		t.protocol = protocolSparse
	}
	base, userinfo, err := parseIndexBase(in.indexURL)
	if err != nil || base == nil || (base.Scheme != "https" && base.Scheme != "http") {
		// ssh:// and file:// git indexes are not probed.
		return t, true
	}
	t.base, t.userinfo = base, userinfo
	if userinfo != "" {
		redact.Register(userinfo)
	}
	if t.protocol == protocolSparse {
		if !strings.HasSuffix(base.Path, "/") {
			base.Path += "/"
		}
		t.probeURL = base.String() + "config.json"
	} else {
		t.probeURL = strings.TrimSuffix(base.String(), "/") + "/info/refs?service=git-upload-pack"
	}
	return t, true
}

// userinfoToken is the credential of a replacement URL with no registry
// name: curl and git send its user:password as Basic credentials.
func (e *statusEngine) userinfoToken(r *statusRegistry, t statusTarget) {
	user, pass, _ := strings.Cut(t.userinfo, ":")
	tok := credentials.NewBasic(user, pass)
	header := "Basic " + base64.StdEncoding.EncodeToString([]byte(t.userinfo))
	step := statusProvider{Name: "index URL userinfo", Kind: "url", Origin: statusOrigin{Kind: "file", Display: "the replacement's index URL"}}
	e.setToken(r, &step, "index-url", "the userinfo of the replacement's index URL", tok, header)
	r.Providers = append(r.Providers, step)
	i := 0
	r.AnsweredBy = &i
}
