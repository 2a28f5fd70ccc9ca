package credentials

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"golang.org/x/tools/txtar"
)

var update = flag.Bool("update", false, "rewrite golden files")

// transcriptHandler serves tokens from a map; "unavailable" makes every
// call fail the way a keyring that cannot work here fails.
type transcriptHandler struct {
	tokens      map[string]GetResponse
	unavailable bool
	loggedIn    map[string]string
}

func (h *transcriptHandler) Get(_ context.Context, req *Request) (GetResponse, error) {
	if h.unavailable {
		return GetResponse{}, ErrUnavailable
	}
	resp, ok := h.tokens[req.Registry.IndexURL]
	if !ok {
		return GetResponse{}, ErrNotFound
	}
	return resp, nil
}

func (h *transcriptHandler) Login(_ context.Context, req *Request) error {
	if req.Token == nil {
		return errors.New("no token given and no terminal to prompt on")
	}
	h.loggedIn[req.Registry.IndexURL] = *req.Token
	return nil
}

func (h *transcriptHandler) Logout(_ context.Context, req *Request) error {
	if _, ok := h.tokens[req.Registry.IndexURL]; !ok {
		return ErrNotFound
	}
	delete(h.tokens, req.Registry.IndexURL)
	return nil
}

// TestProviderTranscripts replays testdata/provider/*.txtar: the comment
// sets up the handler ("token URL SCHEME SECRET [expires-unix]",
// "unavailable"), "in" is what cargo sends, "out" what the provider answers.
func TestProviderTranscripts(t *testing.T) {
	files, _ := filepath.Glob("testdata/provider/*.txtar")
	if len(files) == 0 {
		t.Fatal("no transcripts")
	}
	for _, file := range files {
		t.Run(filepath.Base(file), func(t *testing.T) {
			ar, err := txtar.ParseFile(file)
			if err != nil {
				t.Fatal(err)
			}
			h := &transcriptHandler{tokens: map[string]GetResponse{}, loggedIn: map[string]string{}}
			for _, line := range strings.Split(string(ar.Comment), "\n") {
				f := strings.Fields(line)
				switch {
				case len(f) == 0 || strings.HasPrefix(f[0], "#"):
				case f[0] == "unavailable":
					h.unavailable = true
				case f[0] == "token" && len(f) >= 4:
					scheme, err := ParseScheme(f[2])
					if err != nil {
						t.Fatal(err)
					}
					resp := GetResponse{Token: NewToken(f[3], scheme), OperationIndependent: true}
					if len(f) == 5 {
						var sec int64
						if _, err := fmtSscan(f[4], &sec); err != nil {
							t.Fatal(err)
						}
						resp.Cache, resp.Expiration = CacheExpires, time.Unix(sec, 0)
					}
					h.tokens[f[1]] = resp
				default:
					t.Fatalf("bad setup line %q", line)
				}
			}
			var in, want []byte
			outIndex := -1
			for i, f := range ar.Files {
				switch f.Name {
				case "in":
					in = f.Data
				case "out":
					want, outIndex = f.Data, i
				}
			}
			var out bytes.Buffer
			err = Serve(context.Background(), bytes.NewReader(in), &out, h)
			got := out.Bytes()
			if err != nil {
				got = append(got, []byte("# serve error: "+err.Error()+"\n")...)
			}
			if *update && outIndex >= 0 {
				ar.Files[outIndex].Data = got
				if err := os.WriteFile(file, txtar.Format(ar), 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			if !bytes.Equal(got, want) {
				t.Errorf("transcript mismatch\n got:\n%s\nwant:\n%s", got, want)
			}
		})
	}
}

func TestProviderLoginReceivesToken(t *testing.T) {
	h := &transcriptHandler{tokens: map[string]GetResponse{}, loggedIn: map[string]string{}}
	in := `{"v":1,"registry":{"index-url":"sparse+https://r.example/","name":"r"},"kind":"login","token":"tok-abc"}` + "\n"
	var out bytes.Buffer
	if err := Serve(context.Background(), strings.NewReader(in), &out, h); err != nil {
		t.Fatal(err)
	}
	if got := h.loggedIn["sparse+https://r.example/"]; got != "tok-abc" {
		t.Errorf("login stored %q, want tok-abc", got)
	}
}

func TestProviderErrorsNeverCarryTokens(t *testing.T) {
	secret := "cgatest_provider_secret_1234"
	NewToken(secret, SchemeRaw) // registers the secret with the redactor
	h := errHandler{err: errors.New("backend said " + secret)}
	in := `{"v":1,"registry":{"index-url":"sparse+https://r.example/"},"kind":"get","operation":"read"}` + "\n"
	var out bytes.Buffer
	if err := Serve(context.Background(), strings.NewReader(in), &out, h); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(out.String(), secret) {
		t.Fatalf("error response leaks the token: %s", out.String())
	}
	if !strings.Contains(out.String(), `"kind":"other"`) {
		t.Errorf("want kind other, got %s", out.String())
	}
}

type errHandler struct{ err error }

func (h errHandler) Get(context.Context, *Request) (GetResponse, error) { return GetResponse{}, h.err }
func (h errHandler) Login(context.Context, *Request) error              { return h.err }
func (h errHandler) Logout(context.Context, *Request) error             { return h.err }

func FuzzProviderRequest(f *testing.F) {
	f.Add(`{"v":1,"registry":{"index-url":"sparse+https://r/"},"kind":"get","operation":"read"}`)
	f.Add(`{"v":2}`)
	f.Add(`not json`)
	f.Add(`{"v":1,"registry":{"index-url":"x"},"kind":"login"}`)
	f.Fuzz(func(t *testing.T, line string) {
		h := &transcriptHandler{tokens: map[string]GetResponse{"sparse+https://r/": {Token: NewToken("cgatest_fuzz_token_value", SchemeBearer)}}, loggedIn: map[string]string{}}
		var out bytes.Buffer
		_ = Serve(context.Background(), strings.NewReader(line+"\n"), &out, h)
		lines := strings.Split(strings.TrimSpace(out.String()), "\n")
		if lines[0] != `{"v":[1]}` {
			t.Fatalf("first line %q is not the hello", lines[0])
		}
		for _, l := range lines[1:] {
			if !strings.HasPrefix(l, `{"Ok":`) && !strings.HasPrefix(l, `{"Err":`) {
				t.Fatalf("non-protocol line %q", l)
			}
		}
	})
}

func fmtSscan(s string, v *int64) (int, error) { return fmt.Sscan(s, v) }
