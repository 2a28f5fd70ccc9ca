package cargoconfig

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// BenchmarkLoadManyRegistries loads a configuration of n registries. Loading
// names every registry by its index, once quadratic in n (3000 registries
// took 4.6 s); compare the ns/op across sizes: it should grow about
// linearly.
func BenchmarkLoadManyRegistries(b *testing.B) {
	for _, n := range []int{100, 1000, 3000} {
		b.Run(fmt.Sprint(n), func(b *testing.B) {
			dir := b.TempDir()
			var cfg strings.Builder
			for i := 0; i < n; i++ {
				fmt.Fprintf(&cfg, "# registry %d\n[registries.r%d]\nindex = \"sparse+https://r%d.example/index/\"\n\n", i, i, i)
			}
			if err := os.MkdirAll(filepath.Join(dir, ".cargo"), 0o700); err != nil {
				b.Fatal(err)
			}
			if err := os.WriteFile(filepath.Join(dir, ".cargo", "config.toml"), []byte(cfg.String()), 0o600); err != nil {
				b.Fatal(err)
			}
			opts := LoadOptions{Cwd: dir, Home: dir, Environ: []string{"CARGO_HOME=" + filepath.Join(dir, "home")}}
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				c, err := Load(opts)
				if err != nil {
					b.Fatal(err)
				}
				if got := len(c.Registries()); got != n {
					b.Fatalf("loaded %d registries, want %d", got, n)
				}
			}
		})
	}
}
