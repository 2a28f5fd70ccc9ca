package registrytest

import (
	"strings"
	"testing"
	"time"
)

func TestParseArgs(t *testing.T) {
	opts, err := ParseArgs([]string{
		"-tls", "-token", "cgatest_a", "-token", "cgatest_b", "-scheme", "bearer",
		"-anonymous", "download", "-switch", "dl-other-host", "-hostile", "index",
		"-crate", "app-util@0.2.0", "-crate", "app-core@1.0.0:app-util@^0.2", "-slow-headers", "2s", "-trickle", "5ms",
	})
	if err != nil {
		t.Fatal(err)
	}
	cfg := defaultConfig()
	for _, o := range opts {
		o(&cfg)
	}
	if !cfg.tls || cfg.git || strings.Join(cfg.tokens, " ") != "cgatest_a cgatest_b" || len(cfg.schemes) != 1 || cfg.schemes[0] != SchemeBearer {
		t.Errorf("config = %+v", cfg)
	}
	if !cfg.anonymous[ClassDownload] || len(cfg.switches) != 1 || cfg.switches[0] != DLOtherHost || len(cfg.hostile) != 1 || cfg.hostile[0] != ClassIndex {
		t.Errorf("config = %+v", cfg)
	}
	if len(cfg.crates) != 2 || cfg.crates[1].Name != "app-core" || cfg.crates[1].Deps[0].Name != "app-util" || cfg.crates[1].Deps[0].Req != "^0.2" {
		t.Errorf("crates = %+v", cfg.crates)
	}
	if cfg.slowHeaders != 2*time.Second || cfg.trickle != 5*time.Millisecond {
		t.Errorf("durations = %v %v", cfg.slowHeaders, cfg.trickle)
	}
	for _, bad := range [][]string{{"-switch", "nope"}, {"-scheme", "digest"}, {"-anonymous", "everything"}, {"-crate", "noversion"}, {"-crate", "a@1.0.0:,b@1"}, {"extra"}, {"-unknown"}} {
		if _, err := ParseArgs(bad); err == nil {
			t.Errorf("ParseArgs(%q) succeeded", bad)
		}
	}
}
