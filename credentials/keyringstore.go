package credentials

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/99designs/keyring"

	"github.com/cargo-auth/cargo-auth/internal/redact"
)

// itemLimits are what one backend accepts in a single item.
type itemLimits struct {
	// maxKey is the longest item key; a longer escaped key is hashed.
	maxKey int
	// maxData is the largest item value; a larger value is split over
	// several items (see writeValue). Zero means no limit.
	maxData int
}

// Store operations, as passed to the before hook.
const (
	opGet    = "get"
	opSet    = "set"
	opDelete = "delete"
	opList   = "list"
)

// keyringStore is a Store over a 99designs/keyring backend (or a fake of
// one). It owns what every backend shares: key canonicalisation and
// escaping, the JSON envelope, splitting values a backend cannot hold in one
// item, deadlines, and errors that name the registry but never the token.
type keyringStore struct {
	backend string
	ring    keyring.Keyring
	guard   *guard
	limits  itemLimits
	// hashKeys stores every credential under a hashed key (file backend).
	hashKeys bool
	// foldCase escapes upper-case letters in keys, for keyrings that
	// match keys without regard to case.
	foldCase bool
	// keyPrefix namespaces the keys inside a keyring shared with other
	// programs (a Secret Service collection).
	keyPrefix string
	// before runs outside the deadline, before an operation: the file
	// backend asks for its passphrase there.
	before func(ctx context.Context, op, key string) error
	// lock serialises writers across processes (file backend).
	lock func(ctx context.Context, exclusive bool) (unlock func(), err error)
	// precheck runs under the deadline before every operation: the Secret
	// Service store checks that its collection is still unlocked.
	precheck func(ctx context.Context) error
	// explain turns a backend error into a message a user can act on, or
	// returns nil to keep the default.
	explain func(err error) *storeError
}

// storeError is every error a store returns. It carries a message built
// from known-safe parts and unwraps only to a sentinel (ErrNotFound,
// ErrUnavailable, ErrMalformedItem), never to the library's error, whose
// text could hold anything.
type storeError struct {
	msg  string
	kind error
}

// Error redacts again when called, so a secret registered after the error
// was made (a token read later in the same process) is removed too.
func (e *storeError) Error() string { return redact.Text(e.msg) }
func (e *storeError) Unwrap() error { return e.kind }

func (s *keyringStore) Backend() string { return s.backend }

// itemKey is the keyring key of a canonical URL.
func (s *keyringStore) itemKey(canonical string) string {
	if s.hashKeys {
		return s.keyPrefix + hashItemKey(canonical)
	}
	key := escapeItemKey(canonical, s.foldCase)
	if s.limits.maxKey > 0 && len(s.keyPrefix)+len(key)+chunkSuffixLen > s.limits.maxKey {
		return s.keyPrefix + hashItemKey(canonical)
	}
	return s.keyPrefix + key
}

// run performs one operation under the guard, the lock and the precheck.
func (s *keyringStore) run(ctx context.Context, op, what, key string, exclusive bool, fn func() error) error {
	if s.before != nil {
		if err := s.before(ctx, op, key); err != nil {
			return s.fail(what, err)
		}
	}
	err := s.guard.do(ctx, what, func(ctx context.Context) error {
		if s.lock != nil {
			unlock, err := s.lock(ctx, exclusive)
			if err != nil {
				return err
			}
			defer unlock()
		}
		if s.precheck != nil {
			if err := s.precheck(ctx); err != nil {
				return err
			}
		}
		return fn()
	})
	if err != nil {
		return s.fail(what, err)
	}
	return nil
}

// fail turns any error into a storeError whose text is safe to show.
func (s *keyringStore) fail(what string, err error) error {
	var se *storeError
	switch {
	case errors.As(err, &se):
		return se
	case errors.Is(err, keyring.ErrKeyNotFound):
		return &storeError{msg: fmt.Sprintf("%s: %s: %s", s.backend, what, ErrNotFound), kind: ErrNotFound}
	case errors.Is(err, ErrUnavailable), errors.Is(err, context.DeadlineExceeded), errors.Is(err, context.Canceled):
		kind := ErrUnavailable
		if errors.Is(err, context.Canceled) {
			kind = context.Canceled
		}
		return &storeError{msg: safeText(err.Error()), kind: kind}
	}
	if s.explain != nil {
		if e := s.explain(err); e != nil {
			e.msg = fmt.Sprintf("%s: %s: %s", s.backend, what, e.msg)
			return e
		}
	}
	return &storeError{msg: fmt.Sprintf("%s: %s: %s", s.backend, what, safeText(err.Error()))}
}

// safeText makes library error text safe to show: URLs redacted, every
// known secret removed, lower-cased first letter, one line.
func safeText(msg string) string {
	msg = redact.Text(msg)
	msg = strings.Join(strings.Fields(msg), " ")
	msg = strings.TrimSuffix(msg, ".")
	if msg != "" && msg[0] >= 'A' && msg[0] <= 'Z' && (len(msg) < 2 || msg[1] < 'A' || msg[1] > 'Z') {
		msg = strings.ToLower(msg[:1]) + msg[1:]
	}
	return msg
}

func (s *keyringStore) Get(ctx context.Context, indexURL string) (Credential, error) {
	canonical, err := Key(indexURL)
	if err != nil {
		return Credential{}, err
	}
	key := s.itemKey(canonical)
	what := "reading " + redact.URL(canonical)
	var data []byte
	err = s.run(ctx, opGet, what, key, false, func() error {
		var err error
		data, err = s.readValue(key)
		return err
	})
	if err != nil {
		return Credential{}, err
	}
	cred, err := decodeCredential(data)
	if err != nil {
		return Credential{}, &storeError{msg: fmt.Sprintf("%s: %s: %s", s.backend, what, err), kind: ErrMalformedItem}
	}
	if k, err := Key(cred.IndexURL); err != nil || k != canonical {
		return Credential{}, &storeError{msg: fmt.Sprintf("%s: %s: %s (it names another registry)", s.backend, what, ErrMalformedItem), kind: ErrMalformedItem}
	}
	return cred, nil
}

func (s *keyringStore) Set(ctx context.Context, cred Credential) error {
	canonical, err := Key(cred.IndexURL)
	if err != nil {
		return err
	}
	what := "storing " + redact.URL(canonical)
	if cred.Token.IsZero() {
		return &storeError{msg: fmt.Sprintf("%s: %s: refusing to store an empty token", s.backend, what)}
	}
	if cred.Updated.IsZero() {
		cred.Updated = time.Now()
	}
	data, err := encodeCredential(cred)
	if err != nil {
		return err
	}
	key := s.itemKey(canonical)
	label := "cargo-auth: " + redact.URL(canonical)
	return s.run(ctx, opSet, what, key, true, func() error {
		return s.writeValue(key, label, data)
	})
}

func (s *keyringStore) Delete(ctx context.Context, indexURL string) error {
	canonical, err := Key(indexURL)
	if err != nil {
		return err
	}
	key := s.itemKey(canonical)
	return s.run(ctx, opDelete, "deleting "+redact.URL(canonical), key, true, func() error {
		if s.limits.maxData == 0 {
			return s.ring.Remove(key)
		}
		item, err := s.ring.Get(key)
		if err != nil {
			return err
		}
		if err := s.ring.Remove(key); err != nil {
			return err
		}
		if h, ok := parseChunkHeader(item.Data); ok {
			s.removeChunks(key, h)
		}
		return nil
	})
}

func (s *keyringStore) List(ctx context.Context) ([]string, error) {
	var urls []string
	err := s.run(ctx, opList, "listing credentials", "", false, func() error {
		keys, err := s.ring.Keys()
		if err != nil {
			return err
		}
		for _, k := range keys {
			rest, ok := strings.CutPrefix(k, s.keyPrefix)
			if !ok || strings.Contains(rest, "~") {
				continue
			}
			if canonical, ok := unescapeItemKey(rest, s.foldCase); ok {
				urls = append(urls, canonical)
				continue
			}
			if !strings.HasPrefix(rest, hashedKeyPrefix) {
				continue
			}
			// A hashed key hides its URL: read the item to learn it.
			data, err := s.readValue(k)
			if err != nil {
				continue
			}
			cred, err := decodeCredential(data)
			if err != nil {
				continue
			}
			if canonical, err := Key(cred.IndexURL); err == nil && s.itemKey(canonical) == k {
				urls = append(urls, canonical)
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	slices.Sort(urls)
	return slices.Compact(urls), nil
}

// Values larger than a backend's item limit are split: the parts go to
// items "<key>~<generation>~<i>", and the main item holds only a header
//
//	cargo-auth-chunks:1:<generation>:<parts>:<sha256 of the whole value>
//
// A new generation is written before the header that names it, and the old
// one removed after, so a reader in another process sees the old value or
// the new one, and the checksum catches anything else.
const chunkMagic = "cargo-auth-chunks:1:"

// chunkSuffixLen bounds the "~<generation>~<i>" suffix of a part's key.
const chunkSuffixLen = 1 + 12 + 1 + 5

type chunkHeader struct {
	generation string
	parts      int
	sum        string
}

func parseChunkHeader(data []byte) (chunkHeader, bool) {
	rest, ok := bytes.CutPrefix(data, []byte(chunkMagic))
	if !ok {
		return chunkHeader{}, false
	}
	fields := strings.Split(string(rest), ":")
	if len(fields) != 3 {
		return chunkHeader{}, false
	}
	parts, err := strconv.Atoi(fields[1])
	if err != nil || parts < 1 || parts > 10000 {
		return chunkHeader{}, false
	}
	return chunkHeader{generation: fields[0], parts: parts, sum: fields[2]}, true
}

func chunkKey(key, generation string, i int) string {
	return key + "~" + generation + "~" + strconv.Itoa(i)
}

// errPartsChanged means another process replaced a split value while it was
// being read.
var errPartsChanged = errors.New("the parts of a large item do not match it (changed while being read, or damaged); try again")

func (s *keyringStore) readValue(key string) ([]byte, error) {
	var err error
	for range 3 {
		var data []byte
		data, err = s.readOnce(key)
		if !errors.Is(err, errPartsChanged) {
			return data, err
		}
	}
	return nil, err
}

func (s *keyringStore) readOnce(key string) ([]byte, error) {
	item, err := s.ring.Get(key)
	if err != nil {
		return nil, err
	}
	h, ok := parseChunkHeader(item.Data)
	if !ok {
		return item.Data, nil
	}
	var value []byte
	for i := 1; i <= h.parts; i++ {
		part, err := s.ring.Get(chunkKey(key, h.generation, i))
		if errors.Is(err, keyring.ErrKeyNotFound) {
			return nil, errPartsChanged
		}
		if err != nil {
			return nil, err
		}
		value = append(value, part.Data...)
	}
	sum := sha256.Sum256(value)
	if hex.EncodeToString(sum[:]) != h.sum {
		return nil, errPartsChanged
	}
	return value, nil
}

func (s *keyringStore) writeValue(key, label string, data []byte) error {
	var old chunkHeader
	var hadChunks bool
	if s.limits.maxData > 0 {
		if item, err := s.ring.Get(key); err == nil {
			old, hadChunks = parseChunkHeader(item.Data)
		}
	}
	item := keyring.Item{Key: key, Label: label, Description: "cargo registry token", KeychainNotSynchronizable: true}
	if s.limits.maxData == 0 || len(data) <= s.limits.maxData {
		item.Data = data
		if err := s.ring.Set(item); err != nil {
			return err
		}
	} else {
		generation := newGeneration()
		written := 0
		for start := 0; start < len(data); start += s.limits.maxData {
			part := data[start:min(start+s.limits.maxData, len(data))]
			written++
			err := s.ring.Set(keyring.Item{Key: chunkKey(key, generation, written), Label: label + " (part)", Data: part, KeychainNotSynchronizable: true})
			if err != nil {
				s.removeChunks(key, chunkHeader{generation: generation, parts: written})
				return err
			}
		}
		sum := sha256.Sum256(data)
		item.Data = []byte(chunkMagic + generation + ":" + strconv.Itoa(written) + ":" + hex.EncodeToString(sum[:]))
		if err := s.ring.Set(item); err != nil {
			s.removeChunks(key, chunkHeader{generation: generation, parts: written})
			return err
		}
	}
	if hadChunks {
		s.removeChunks(key, old)
	}
	return nil
}

// removeChunks removes the parts of one generation, best effort: a part
// left behind is never read (no header names it) and List skips it.
func (s *keyringStore) removeChunks(key string, h chunkHeader) {
	for i := 1; i <= h.parts; i++ {
		_ = s.ring.Remove(chunkKey(key, h.generation, i))
	}
}

func newGeneration() string {
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}
