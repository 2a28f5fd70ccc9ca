package auth

// Checking what cargo will do after configureProvider: the provider chain
// worked out with cargoconfig.Providers, exactly as cargo would, and what
// in it keeps cargo from asking cargo-auth first and cargo:token after it.

import (
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"

	"github.com/cargo-auth/cargo-auth/cargoconfig"
	"github.com/cargo-auth/cargo-auth/credentials"
)

// providersFor is the provider chain cargo uses for target, in the order
// cargo tries it.
func providersFor(cfg *cargoconfig.Config, target registryTarget) ([]cargoconfig.Provider, error) {
	if target.Name != "" {
		return cfg.Providers(target.Name, false)
	}
	list, err := cfg.GlobalCredentialProviders()
	if err != nil {
		return nil, err
	}
	if len(list) == 0 {
		return []cargoconfig.Provider{{Argv: []string{"cargo:token"}}}, nil
	}
	var chain []cargoconfig.Provider
	for i := len(list) - 1; i >= 0; i-- {
		if argv := strings.Fields(list[i].Value); len(argv) > 0 {
			chain = append(chain, cargoconfig.Provider{Argv: argv, Origin: list[i].Origin})
		}
	}
	return chain, nil
}

// checkChain works out target's provider chain as cargo would and says
// what keeps it from being "cargo-auth first, cargo:token after it".
func checkChain(f *Factory, cfg *cargoconfig.Config, target registryTarget, storedIn string) ([]cargoconfig.Provider, []string) {
	label := target.Label()
	chain, err := providersFor(cfg, target)
	if err != nil {
		return nil, []string{fmt.Sprintf("could not work out which providers cargo uses for %s: %v", label, err)}
	}
	var warnings []string
	first := -1
	for i, p := range chain {
		if isCargoAuthEntry(p.Argv[0]) {
			first = i
			break
		}
	}
	switch {
	case first < 0:
		return chain, []string{fmt.Sprintf("cargo will not ask cargo-auth for %s: it uses %s", label, describeChain(chain))}
	case first > 0:
		warnings = append(warnings, fmt.Sprintf("cargo asks %s (%s) for %s's token before cargo-auth, and reaches cargo-auth only when that answers not-found", chain[0].Argv[0], chain[0].Origin, label))
	}
	if pinned := backendArg(chain[first].Argv[1:]); storedIn != "" {
		effective := pinned
		if effective == "" {
			effective = f.Getenv(credentials.EnvBackend)
		}
		if effective != "" && effective != storedIn {
			warnings = append(warnings, fmt.Sprintf("cargo runs cargo-auth with the %s backend (%s) but the token is in %s: cargo will not find it", effective, chain[first].Origin, storedIn))
		}
	}
	tokenAfter := false
	for _, p := range chain[first+1:] {
		if p.Argv[0] == "cargo:token" {
			tokenAfter = true
			break
		}
		if p.Argv[0] == "cargo:libsecret" && runtime.GOOS == "linux" {
			warnings = append(warnings, fmt.Sprintf("cargo:libsecret (%s) comes before cargo:token: on a machine without a session bus it fails, and cargo never reaches cargo:token", p.Origin))
		}
	}
	if !tokenAfter {
		warnings = append(warnings, fmt.Sprintf("nothing after cargo-auth reads CARGO_REGISTRIES_*_TOKEN for %s: on a machine without a keyring (CI) cargo finds no token", label))
	}
	if !onPath(f, providerProgram) {
		warnings = append(warnings, "cargo-auth is not on PATH: cargo runs credential providers by name, so it will fail to start it; install it where PATH finds it (go install puts it in $(go env GOPATH)/bin; a release archive's binary goes wherever you copy it)")
	}
	return chain, warnings
}

// describeChain names a chain's providers with where each is configured.
func describeChain(chain []cargoconfig.Provider) string {
	var parts []string
	for _, p := range chain {
		part := strings.Join(p.Argv, " ")
		if p.Origin.Kind != cargoconfig.OriginDefault {
			part += " (" + p.Origin.String() + ")"
		}
		parts = append(parts, part)
	}
	return strings.Join(parts, ", then ")
}

// backendArg finds --backend NAME or --backend=NAME in provider arguments.
func backendArg(args []string) string {
	for i, a := range args {
		if v, ok := strings.CutPrefix(a, "--backend="); ok {
			return v
		}
		if a == "--backend" && i+1 < len(args) {
			return args[i+1]
		}
	}
	return ""
}

// onPath reports whether program is an executable on f's PATH.
func onPath(f *Factory, program string) bool {
	names := []string{program}
	if runtime.GOOS == "windows" {
		names = append(names, program+".exe")
	}
	for _, dir := range filepath.SplitList(f.Getenv("PATH")) {
		if dir == "" {
			dir = "."
		}
		for _, name := range names {
			if info, err := os.Stat(filepath.Join(dir, name)); err == nil && !info.IsDir() && (runtime.GOOS == "windows" || info.Mode()&0o111 != 0) {
				return true
			}
		}
	}
	return false
}
