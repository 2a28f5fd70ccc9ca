package auth

import (
	"bytes"
	"context"
	"fmt"
	"net/url"
)

// movedToken is a token --migrate moved from a file into the store.
type movedToken struct {
	Secret   string
	IndexURL string
}

// The spellings of a token in a file, most escaped first so that a raw
// token inside an escaped one is not split.
var markerEncodings = []string{"strict", "path", "query", "raw"}

func encodeMarked(secret, encoding string) string {
	switch encoding {
	case "strict":
		return escapeToken(secret)
	case "path":
		return url.PathEscape(secret)
	case "query":
		return url.QueryEscape(secret)
	}
	return secret
}

// markTokens replaces every spelling of the moved tokens in data with a
// marker, reusing the markers already made for the same token and spelling,
// so the state never holds a token that lives in the store.
func markTokens(data []byte, moved []movedToken, markers []markedToken) ([]byte, []markedToken) {
	for _, m := range moved {
		if m.Secret == "" {
			continue
		}
		done := map[string]bool{}
		for _, enc := range markerEncodings {
			spelled := encodeMarked(m.Secret, enc)
			if done[spelled] || !bytes.Contains(data, []byte(spelled)) {
				continue
			}
			done[spelled] = true
			marker := ""
			for _, old := range markers {
				if old.IndexURL == m.IndexURL && old.Encoding == enc {
					marker = old.Marker
				}
			}
			if marker == "" {
				marker = fmt.Sprintf("{{cargo-auth:token:%d}}", len(markers)+1)
				markers = append(markers, markedToken{Marker: marker, IndexURL: m.IndexURL, Encoding: enc})
			}
			data = bytes.ReplaceAll(data, []byte(spelled), []byte(marker))
		}
	}
	return data, markers
}

// unmarkTokens puts the tokens back in place of their markers, reading them
// from the store, and returns the tokens it put back (so that whatever is
// recorded again is marked again).
func unmarkTokens(ctx context.Context, env *rewriteEnv, data []byte, markers []markedToken) ([]byte, []movedToken, error) {
	var found []movedToken
	for _, m := range markers {
		if !bytes.Contains(data, []byte(m.Marker)) {
			continue
		}
		store := env.tokens.openStore(ctx)
		if store == nil {
			return nil, nil, fmt.Errorf("the original holds a token that --migrate moved into cargo-auth's store, and the store cannot be opened: %v", env.tokens.storeErr)
		}
		cred, err := store.Get(ctx, m.IndexURL)
		if err != nil {
			return nil, nil, fmt.Errorf("reading the token --migrate moved into cargo-auth's store: %w", err)
		}
		secret := cred.Token.Reveal()
		data = bytes.ReplaceAll(data, []byte(m.Marker), []byte(encodeMarked(secret, m.Encoding)))
		found = append(found, movedToken{Secret: secret, IndexURL: m.IndexURL})
	}
	return data, found, nil
}
