package registrytest

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"
)

// PublishMetadata is the JSON half of a publish request, as the web API
// chapter's "Publish" section defines it. Fields cargo sends that the
// registry does not use are left out; unknown fields are ignored.
type PublishMetadata struct {
	Name        string              `json:"name"`
	Vers        string              `json:"vers"`
	Deps        []PublishDep        `json:"deps"`
	Features    map[string][]string `json:"features"`
	Authors     []string            `json:"authors"`
	Description string              `json:"description"`
	License     string              `json:"license"`
	Links       *string             `json:"links"`
	RustVersion string              `json:"rust_version"`
}

// PublishDep is a dependency in a publish request. Unlike the index, Name
// is the real package name and ExplicitNameInToml the alias.
type PublishDep struct {
	Name               string   `json:"name"`
	VersionReq         string   `json:"version_req"`
	Features           []string `json:"features"`
	Optional           bool     `json:"optional"`
	DefaultFeatures    bool     `json:"default_features"`
	Target             *string  `json:"target"`
	Kind               string   `json:"kind"`
	Registry           *string  `json:"registry"`
	ExplicitNameInToml *string  `json:"explicit_name_in_toml"`
}

// maxPublishJSON bounds the metadata half of a publish body.
const maxPublishJSON = 1 << 20

// EncodePublish builds a publish request body: "32-bit unsigned
// little-endian integer of the length of JSON data. Metadata of the package
// as a JSON object. 32-bit unsigned little-endian integer of the length of
// the .crate file. The .crate file."
func EncodePublish(meta PublishMetadata, crate []byte) ([]byte, error) {
	js, err := json.Marshal(meta)
	if err != nil {
		return nil, err
	}
	var b bytes.Buffer
	binary.Write(&b, binary.LittleEndian, uint32(len(js)))
	b.Write(js)
	binary.Write(&b, binary.LittleEndian, uint32(len(crate)))
	b.Write(crate)
	return b.Bytes(), nil
}

// parsePublish reads a publish body, refusing lengths beyond limit and
// trailing bytes.
func parsePublish(body io.Reader, limit int64) (PublishMetadata, []byte, error) {
	var meta PublishMetadata
	js, err := readChunk(body, maxPublishJSON)
	if err != nil {
		return meta, nil, fmt.Errorf("reading the metadata: %w", err)
	}
	if err := json.Unmarshal(js, &meta); err != nil {
		return meta, nil, fmt.Errorf("decoding the metadata: %w", err)
	}
	crate, err := readChunk(body, limit)
	if err != nil {
		return meta, nil, fmt.Errorf("reading the crate: %w", err)
	}
	if n, _ := io.Copy(io.Discard, io.LimitReader(body, 1)); n > 0 {
		return meta, nil, errors.New("trailing bytes after the crate")
	}
	return meta, crate, nil
}

// readChunk reads a le32 length and that many bytes, at most limit.
func readChunk(r io.Reader, limit int64) ([]byte, error) {
	var n uint32
	if err := binary.Read(r, binary.LittleEndian, &n); err != nil {
		return nil, err
	}
	if int64(n) > limit {
		return nil, fmt.Errorf("length %d exceeds the limit of %d bytes", n, limit)
	}
	// Read rather than allocate up front: a claimed length costs nothing
	// until the bytes arrive.
	buf, err := io.ReadAll(io.LimitReader(r, int64(n)))
	if err != nil {
		return nil, err
	}
	if len(buf) != int(n) {
		return nil, io.ErrUnexpectedEOF
	}
	return buf, nil
}

// versionFromPublish turns a publish request into an index line, following
// the book's list of differences between the publish API and the index:
// the alias moves to name and the package name to package, version_req
// becomes req, the registry computes cksum, and a dependency on this very
// registry gets registry null.
func versionFromPublish(meta PublishMetadata, crate []byte, ownIndexURLs []string) (*crateVersion, error) {
	if !validCrateName(meta.Name) {
		return nil, fmt.Errorf("invalid crate name %q", meta.Name)
	}
	if !validVersion(meta.Vers) {
		return nil, fmt.Errorf("invalid version %q", meta.Vers)
	}
	if err := checkCrateFile(crate, meta.Name+"-"+meta.Vers); err != nil {
		return nil, fmt.Errorf("invalid .crate file: %w", err)
	}
	sum := sha256.Sum256(crate)
	features, features2, v := splitFeatures(meta.Features)
	entry := IndexEntry{
		Name:        meta.Name,
		Vers:        meta.Vers,
		Cksum:       hex.EncodeToString(sum[:]),
		Features:    features,
		Features2:   features2,
		Links:       meta.Links,
		V:           v,
		RustVersion: meta.RustVersion,
		Pubtime:     time.Now().UTC().Format("2006-01-02T15:04:05Z"),
	}
	for _, d := range meta.Deps {
		dep := IndexDep{
			Name:            d.Name,
			Req:             d.VersionReq,
			Features:        d.Features,
			Optional:        d.Optional,
			DefaultFeatures: d.DefaultFeatures,
			Target:          d.Target,
			Kind:            d.Kind,
			Registry:        d.Registry,
		}
		if dep.Kind == "" {
			dep.Kind = "normal"
		}
		if d.ExplicitNameInToml != nil && *d.ExplicitNameInToml != d.Name {
			pkg := d.Name
			dep.Name, dep.Package = *d.ExplicitNameInToml, &pkg
		}
		if dep.Registry != nil {
			for _, own := range ownIndexURLs {
				if strings.TrimSuffix(*dep.Registry, "/") == strings.TrimSuffix(own, "/") {
					dep.Registry = nil
					break
				}
			}
		}
		entry.Deps = append(entry.Deps, dep)
	}
	return &crateVersion{entry: entry, data: crate}, nil
}

// maxUnpacked bounds what checkCrateFile decompresses.
const maxUnpacked = 64 << 20

// checkCrateFile checks that crate is a gzip'ed tar whose entries all live
// under root/ and that it holds root/Cargo.toml.
func checkCrateFile(crate []byte, root string) error {
	zr, err := gzip.NewReader(bytes.NewReader(crate))
	if err != nil {
		return err
	}
	tr := tar.NewReader(io.LimitReader(zr, maxUnpacked))
	manifest := false
	for {
		hdr, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return err
		}
		if !strings.HasPrefix(hdr.Name, root+"/") || slices.Contains(strings.Split(hdr.Name, "/"), "..") {
			return fmt.Errorf("entry %q is outside %s/", hdr.Name, root)
		}
		manifest = manifest || hdr.Name == root+"/Cargo.toml"
	}
	if !manifest {
		return fmt.Errorf("no %s/Cargo.toml", root)
	}
	return nil
}
