// Package leakguard finds test tokens where they must not be: in a command's
// output, a log, or a file. Every end-to-end test runs under it, so a token
// that reaches stdout, stderr or a stray file fails the test that leaked it.
//
// Test tokens carry the prefix TokenPrefix, so a guard finds them even when a
// test forgot to register them; registered secrets are also found in the
// encodings a leak is likely to take (Basic credentials, URL escaping).
package leakguard

import (
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

// TokenPrefix starts every token that tests hand out.
const TokenPrefix = "cgatest_"

// NewToken returns a fresh random test token with TokenPrefix.
func NewToken() string {
	b := make([]byte, 16)
	if _, err := rand.Read(b); err != nil {
		panic(err)
	}
	return TokenPrefix + hex.EncodeToString(b)
}

// Variants returns the forms in which a secret is likely to leak: as is,
// URL-escaped, inside Basic credentials for a few user names, and with a
// scheme prefix.
func Variants(secret string) []string {
	out := []string{secret, url.QueryEscape(secret), url.PathEscape(secret)}
	for _, user := range []string{"", "token", "cargo", "user", "x"} {
		out = append(out, base64.StdEncoding.EncodeToString([]byte(user+":"+secret)))
	}
	sort.Strings(out)
	return dedupe(out)
}

func dedupe(s []string) []string {
	out := s[:0]
	for i, v := range s {
		if i == 0 || v != s[i-1] {
			out = append(out, v)
		}
	}
	return out
}

// Find reports the first leaked secret in text: TokenPrefix followed by a
// token character, or any variant of a given secret. The returned string
// describes the leak without repeating the secret.
func Find(text string, secrets []string) (string, bool) {
	if i := strings.Index(text, TokenPrefix); i >= 0 {
		return fmt.Sprintf("a test token (prefix %q) at byte %d", TokenPrefix, i), true
	}
	for n, s := range secrets {
		if len(s) < 6 {
			continue
		}
		for _, v := range Variants(s) {
			if i := strings.Index(text, v); i >= 0 {
				return fmt.Sprintf("secret #%d (or an encoding of it) at byte %d", n+1, i), true
			}
		}
	}
	return "", false
}

// Finding is a file that holds a secret.
type Finding struct {
	Path string
	What string
}

// ScanDir walks root and returns every regular file holding a secret, except
// those for which allowed returns true. Symlinks are not followed.
func ScanDir(root string, secrets []string, allowed func(path string) bool) ([]Finding, error) {
	var findings []Finding
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			if os.IsNotExist(err) || os.IsPermission(err) {
				return nil
			}
			return err
		}
		if !d.Type().IsRegular() || (allowed != nil && allowed(path)) {
			return nil
		}
		info, err := d.Info()
		if err != nil || info.Size() > 64<<20 {
			return nil
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return nil
		}
		if what, ok := Find(string(data), secrets); ok {
			findings = append(findings, Finding{Path: path, What: what})
		}
		return nil
	})
	return findings, err
}
