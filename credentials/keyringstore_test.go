package credentials

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/99designs/keyring"
)

// hangingRing blocks every call until released, like a Secret Service
// waiting on a prompt nobody sees.
type hangingRing struct {
	keyring.ArrayKeyring
	release chan struct{}
}

func (h *hangingRing) Get(key string) (keyring.Item, error) {
	<-h.release
	return keyring.Item{}, keyring.ErrKeyNotFound
}

type panickingRing struct{ keyring.ArrayKeyring }

func (*panickingRing) Get(string) (keyring.Item, error) { panic("boom") }

func TestHangingKeyringTimesOut(t *testing.T) {
	ring := &hangingRing{release: make(chan struct{})}
	t.Cleanup(func() { close(ring.release) })
	s := &keyringStore{backend: "test", ring: ring, guard: newGuard("test", 100*time.Millisecond)}

	start := time.Now()
	_, err := s.Get(context.Background(), "sparse+https://r.example/")
	if !errors.Is(err, ErrUnavailable) || errors.Is(err, ErrNotFound) {
		t.Fatalf("err = %v, want ErrUnavailable", err)
	}
	if elapsed := time.Since(start); elapsed > 5*time.Second {
		t.Fatalf("a hanging call took %v to fail", elapsed)
	}
	if !strings.Contains(err.Error(), "did not answer within") {
		t.Errorf("message %q does not say what happened", err)
	}
	start = time.Now()
	_, err = s.Get(context.Background(), "sparse+https://other.example/")
	if !errors.Is(err, ErrUnavailable) || time.Since(start) > time.Second {
		t.Fatalf("second call after a hang: err = %v after %v, want an immediate ErrUnavailable", err, time.Since(start))
	}
}

func TestCancelledContextStopsWaiting(t *testing.T) {
	ring := &hangingRing{release: make(chan struct{})}
	t.Cleanup(func() { close(ring.release) })
	s := &keyringStore{backend: "test", ring: ring, guard: newGuard("test", time.Hour)}
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	if _, err := s.Get(ctx, "sparse+https://r.example/"); !errors.Is(err, context.DeadlineExceeded) && !errors.Is(err, ErrUnavailable) {
		t.Fatalf("err = %v, want the context's deadline", err)
	}
}

func TestPanickingKeyringIsAnError(t *testing.T) {
	s := &keyringStore{backend: "test", ring: &panickingRing{}, guard: newGuard("test", time.Second)}
	if _, err := s.Get(context.Background(), "sparse+https://r.example/"); err == nil || !strings.Contains(err.Error(), "failed unexpectedly") {
		t.Fatalf("err = %v", err)
	}
}

func TestMalformedItem(t *testing.T) {
	const secret = "cgatest_malformed_secret_5e6f7a8b"
	ring := keyring.NewArrayKeyring(nil)
	s := &keyringStore{backend: "test", ring: ring, guard: newGuard("test", time.Second)}
	canonical, _ := Key("sparse+https://r.example/")
	_ = ring.Set(keyring.Item{Key: s.itemKey(canonical), Data: []byte(`{"v":1,"secret":"` + secret + `",`)})
	_, err := s.Get(context.Background(), canonical)
	if !errors.Is(err, ErrMalformedItem) || strings.Contains(err.Error(), secret) {
		t.Fatalf("err = %v", err)
	}
	// An item stored under one registry's key that names another.
	good, _ := encodeCredential(Credential{IndexURL: "sparse+https://elsewhere.example/", Token: NewToken(secret, SchemeRaw)})
	_ = ring.Set(keyring.Item{Key: s.itemKey(canonical), Data: good})
	if _, err := s.Get(context.Background(), canonical); !errors.Is(err, ErrMalformedItem) {
		t.Fatalf("an item naming another registry was served: %v", err)
	}
}

// partsRing records what a splitting store writes.
type partsRing struct {
	*keyring.ArrayKeyring
	limit int
}

func (p partsRing) Set(item keyring.Item) error {
	if len(item.Data) > p.limit {
		return errors.New("too large")
	}
	return p.ArrayKeyring.Set(item)
}

func TestSplitValuesLeaveNoPartsBehind(t *testing.T) {
	ring := partsRing{keyring.NewArrayKeyring(nil), 100}
	s := &keyringStore{backend: "test", ring: ring, guard: newGuard("test", time.Second), limits: itemLimits{maxData: 100}}
	ctx := context.Background()
	const u = "sparse+https://r.example/"
	for _, size := range []int{1000, 3000, 10, 500} {
		secret := strings.Repeat("x", size)
		if err := s.Set(ctx, Credential{IndexURL: u, Token: NewToken(secret, SchemeRaw)}); err != nil {
			t.Fatalf("Set %d bytes: %v", size, err)
		}
		got, err := s.Get(ctx, u)
		if err != nil || got.Token.Reveal() != secret {
			t.Fatalf("Get after Set of %d bytes: %v", size, err)
		}
		keys, _ := ring.Keys()
		parts := 0
		for _, k := range keys {
			if strings.Contains(k, "~") {
				parts++
			}
		}
		data, _ := encodeCredential(got)
		if want := (len(data) + 99) / 100; len(data) > 100 && parts != want || len(data) <= 100 && parts != 0 {
			t.Fatalf("after storing %d bytes: %d parts in the keyring", size, parts)
		}
	}
	if err := s.Delete(ctx, u); err != nil {
		t.Fatal(err)
	}
	if keys, _ := ring.Keys(); len(keys) != 0 {
		t.Fatalf("Delete left %q", keys)
	}
	// A damaged part is reported, never served.
	_ = s.Set(ctx, Credential{IndexURL: u, Token: NewToken(strings.Repeat("y", 500), SchemeRaw)})
	keys, _ := ring.Keys()
	for _, k := range keys {
		if strings.HasSuffix(k, "~2") {
			_ = ring.ArrayKeyring.Set(keyring.Item{Key: k, Data: []byte("tampered")})
		}
	}
	if _, err := s.Get(ctx, u); err == nil || strings.Contains(err.Error(), "yyyy") {
		t.Fatalf("a damaged split value: err = %v", err)
	}
}

func TestSafeText(t *testing.T) {
	const secret = "cgatest_safetext_secret_1a2b3c4d"
	NewToken(secret, SchemeRaw)
	got := safeText("Cannot open https://u:pw@h.example/x: " + secret + ".\nmore")
	if strings.Contains(got, secret) || strings.Contains(got, ":pw@") || strings.Contains(got, "\n") || strings.HasSuffix(got, ".") || got[0] != 'c' {
		t.Fatalf("safeText = %q", got)
	}
}
