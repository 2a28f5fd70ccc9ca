package credentials

import (
	"errors"
	"regexp"
	"strings"
	"testing"
	"time"
)

func TestEnvelopeRoundTrip(t *testing.T) {
	expires := time.Date(2030, 1, 2, 3, 4, 5, 6, time.UTC)
	in := Credential{
		IndexURL:     "sparse+https://r.example/",
		Registry:     "r",
		Token:        NewBasic("me", "pat<&>\"\n\u2028").WithExpiry(expires),
		TokenCommand: []string{"a", "b c"},
		TokenTTL:     90 * time.Minute,
		Updated:      time.Date(2026, 5, 6, 7, 8, 9, 10, time.FixedZone("x", 3600)),
	}
	data, err := encodeCredential(in)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(string(data), `{"v":1,`) {
		t.Errorf("envelope starts %q", data[:10])
	}
	out, err := decodeCredential(data)
	if err != nil {
		t.Fatal(err)
	}
	if out.Token.Authorization() != in.Token.Authorization() || out.Token.User() != "me" || !out.Token.Expires().Equal(expires) ||
		out.IndexURL != in.IndexURL || out.Registry != "r" || strings.Join(out.TokenCommand, "|") != "a|b c" || out.TokenTTL != 90*time.Minute || !out.Updated.Equal(in.Updated) {
		t.Errorf("round trip changed the credential: %+v", out)
	}
	// A JWT without a stored expiry keeps reporting the claim, not a stored zero.
	jwt := NewToken("eyJhbGciOiJub25lIn0.eyJleHAiOjQxMDI0NDQ4MDB9.sig", SchemeBearer)
	data, _ = encodeCredential(Credential{IndexURL: "sparse+https://j.example/", Token: jwt})
	if strings.Contains(string(data), `"expires"`) {
		t.Error("the JWT's exp claim was stored as an explicit expiry")
	}
}

var malformedMessage = regexp.MustCompile(`^stored item is not a cargo-auth credential( \([A-Za-z -]+\)|: format version -?\d+ is newer than this cargo-auth reads \(1\); upgrade cargo-auth)$`)

func TestEnvelopeMalformed(t *testing.T) {
	const secret = "cgatest_envelope_secret_0c1d2e3f"
	for name, data := range map[string]string{
		"empty":          "",
		"not json":       "cgatest_envelope_secret_0c1d2e3f",
		"array":          `["` + secret + `"]`,
		"no version":     `{"secret":"` + secret + `"}`,
		"string version": `{"v":"1","secret":"` + secret + `"}`,
		"newer":          `{"v":2,"secret":"` + secret + `"}`,
		"no secret":      `{"v":1,"index_url":"sparse+https://r/"}`,
		"no url":         `{"v":1,"secret":"` + secret + `"}`,
		"bad scheme":     `{"v":1,"index_url":"sparse+https://r/","secret":"` + secret + `","scheme":"` + secret + `"}`,
		"bad type":       `{"v":1,"index_url":"sparse+https://r/","secret":["` + secret + `"]}`,
		"truncated":      `{"v":1,"index_url":"sparse+https://r/","secret":"` + secret,
	} {
		_, err := decodeCredential([]byte(data))
		if !errors.Is(err, ErrMalformedItem) {
			t.Errorf("%s: err = %v, want ErrMalformedItem", name, err)
			continue
		}
		if strings.Contains(err.Error(), secret) || !malformedMessage.MatchString(err.Error()) {
			t.Errorf("%s: message %q", name, err)
		}
	}
	if _, err := decodeCredential([]byte(`{"v":7}`)); err == nil || !strings.Contains(err.Error(), "upgrade cargo-auth") {
		t.Errorf("a newer version does not say to upgrade: %v", err)
	}
}

func FuzzDecodeCredential(f *testing.F) {
	good, _ := encodeCredential(Credential{IndexURL: "sparse+https://r/", Token: NewToken("s3cret-token", SchemeBearer), TokenCommand: []string{"x"}})
	f.Add(good)
	f.Add([]byte(`{"v":2}`))
	f.Add([]byte(`{"v":1,"secret":"x","index_url":"y","scheme":"basic","user":"u"}`))
	f.Add([]byte("\x00\xff"))
	f.Fuzz(func(t *testing.T, data []byte) {
		cred, err := decodeCredential(data)
		if err != nil {
			if !errors.Is(err, ErrMalformedItem) || !malformedMessage.MatchString(err.Error()) {
				t.Fatalf("unexpected error text %q", err)
			}
			return
		}
		again, err := encodeCredential(cred)
		if err != nil {
			t.Fatal(err)
		}
		back, err := decodeCredential(again)
		if err != nil || back.Token.Authorization() != cred.Token.Authorization() {
			t.Fatalf("re-encoding a decoded item lost it: %v", err)
		}
	})
}
