package credentials

// This file implements cargo's credential-provider protocol, version 1, as
// cargo 1.95 speaks it (reference/credential-provider-protocol.html in the
// cargo book, checked against the real cargo, see cargo-facts.md):
//
//	provider → cargo  {"v":[1]}                                   (hello)
//	cargo → provider  {"v":1,"registry":{"index-url":…,"name":…,"headers":[…]},
//	                   "kind":"get","operation":"read",…,"args":[…]}
//	provider → cargo  {"Ok":{"kind":"get","token":…,"cache":"session",
//	                   "operation_independent":true}}
//	              or  {"Err":{"kind":"not-found"}}
//
// Each message is one line of JSON. Only not-found and url-not-supported
// make cargo fall through to the next provider; other and
// operation-not-supported abort. Unknown fields and kinds are tolerated.

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/cargo-auth/cargo-auth/internal/redact"
)

// ProtocolVersion is the credential-provider protocol version spoken here.
const ProtocolVersion = 1

// maxRequestLine bounds one request line; cargo's are well under 64 KiB.
const maxRequestLine = 1 << 20

// RegistryInfo identifies the registry in a request.
type RegistryInfo struct {
	// IndexURL is the index URL as cargo knows it, with the sparse+ prefix.
	// For registries from [source] or an inline registry-index it can
	// carry a userinfo password: never print it unredacted.
	IndexURL string `json:"index-url"`
	// Name is the registry's name in configuration, absent for unnamed ones.
	Name string `json:"name,omitempty"`
	// Headers holds the headers of the 401 answer, present only after one.
	Headers []string `json:"headers,omitempty"`
}

// Request is one message from cargo.
type Request struct {
	V         int          `json:"v"`
	Registry  RegistryInfo `json:"registry"`
	Kind      string       `json:"kind"`
	Operation string       `json:"operation,omitempty"`
	// Name, Vers and Cksum describe the crate of a publish, yank, unyank or
	// owners operation.
	Name  string `json:"name,omitempty"`
	Vers  string `json:"vers,omitempty"`
	Cksum string `json:"cksum,omitempty"`
	// Token is given with a login request when the user passed one to
	// `cargo login`; absent means the provider must prompt.
	Token *string `json:"token,omitempty"`
	// LoginURL is where the user can get a token, when the registry said.
	LoginURL string `json:"login-url,omitempty"`
	// Args are the provider's configured arguments followed by those given
	// after `cargo login --`.
	Args []string `json:"args,omitempty"`
}

// Cache says how long cargo may reuse a token.
type Cache string

// Cache values cargo understands.
const (
	CacheNever   Cache = "never"
	CacheSession Cache = "session"
	CacheExpires Cache = "expires"
)

// GetResponse is a successful answer to a get request.
type GetResponse struct {
	Token Token
	Cache Cache
	// Expiration is required with CacheExpires.
	Expiration time.Time
	// OperationIndependent lets cargo reuse the token for publish, yank
	// and owner operations without asking again.
	OperationIndependent bool
}

// Errors a handler returns to choose the protocol's error kind. Any other
// error is sent as kind "other" with its (redacted) message.
var (
	// ErrURLNotSupported means this provider does not serve the registry.
	ErrURLNotSupported = errors.New("registry not supported by this provider")
	// ErrOperationNotSupported means the kind or operation is not handled.
	ErrOperationNotSupported = errors.New("operation not supported")
)

// ProviderHandler does the work behind the protocol. ErrNotFound and
// ErrUnavailable from a handler become not-found, so cargo falls through
// to the next provider.
type ProviderHandler interface {
	Get(ctx context.Context, req *Request) (GetResponse, error)
	Login(ctx context.Context, req *Request) error
	Logout(ctx context.Context, req *Request) error
}

// ErrNoRequest is returned by Serve when stdin closed before any request.
var ErrNoRequest = errors.New("no request received: cargo runs this as a credential provider")

// Serve speaks the protocol on in/out until in is closed: it sends the
// hello, then answers each request line. out receives protocol lines only.
func Serve(ctx context.Context, in io.Reader, out io.Writer, h ProviderHandler) error {
	if err := writeLine(out, map[string][]int{"v": {ProtocolVersion}}); err != nil {
		return err
	}
	scanner := bufio.NewScanner(in)
	scanner.Buffer(make([]byte, 64<<10), maxRequestLine)
	served := 0
	for scanner.Scan() {
		line := strings.TrimSpace(scanner.Text())
		if line == "" {
			continue
		}
		served++
		if err := writeLine(out, answer(ctx, line, h)); err != nil {
			return err
		}
	}
	if err := scanner.Err(); err != nil {
		if errors.Is(err, bufio.ErrTooLong) {
			_ = writeLine(out, errorResponse("other", "request line longer than 1 MiB"))
		}
		return fmt.Errorf("reading request: %w", err)
	}
	if served == 0 {
		return ErrNoRequest
	}
	return nil
}

// answer handles one request line and returns the response message.
func answer(ctx context.Context, line string, h ProviderHandler) any {
	var req Request
	if err := json.Unmarshal([]byte(line), &req); err != nil {
		return errorResponse("other", "malformed request: not a JSON object of the credential-provider protocol")
	}
	if req.V != ProtocolVersion {
		return errorResponse("other", fmt.Sprintf("unsupported protocol version %d (cargo-auth speaks version %d)", req.V, ProtocolVersion))
	}
	if req.Registry.IndexURL == "" {
		return errorResponse("other", "malformed request: registry index-url missing")
	}
	switch req.Kind {
	case "get":
		resp, err := h.Get(ctx, &req)
		if err != nil {
			return errorFor(err)
		}
		return getOK(resp)
	case "login":
		if err := h.Login(ctx, &req); err != nil {
			return errorFor(err)
		}
		return map[string]any{"Ok": map[string]string{"kind": "login"}}
	case "logout":
		if err := h.Logout(ctx, &req); err != nil {
			return errorFor(err)
		}
		return map[string]any{"Ok": map[string]string{"kind": "logout"}}
	default:
		return errorResponse("operation-not-supported", "")
	}
}

func getOK(resp GetResponse) any {
	ok := map[string]any{
		"kind":                  "get",
		"token":                 resp.Token.Authorization(),
		"operation_independent": resp.OperationIndependent,
	}
	switch {
	case resp.Cache == CacheExpires && !resp.Expiration.IsZero():
		ok["cache"] = string(CacheExpires)
		ok["expiration"] = resp.Expiration.Unix()
	case resp.Cache == CacheNever:
		ok["cache"] = string(CacheNever)
	default:
		ok["cache"] = string(CacheSession)
	}
	return map[string]any{"Ok": ok}
}

// errorFor maps a handler error to the protocol's error kinds.
func errorFor(err error) any {
	switch {
	case errors.Is(err, ErrNotFound), errors.Is(err, ErrUnavailable):
		return errorResponse("not-found", "")
	case errors.Is(err, ErrURLNotSupported):
		return errorResponse("url-not-supported", "")
	case errors.Is(err, ErrOperationNotSupported):
		return errorResponse("operation-not-supported", "")
	}
	return errorResponse("other", err.Error())
}

func errorResponse(kind, message string) any {
	e := map[string]any{"kind": kind}
	if message != "" {
		e["message"] = redact.Text(message)
	}
	return map[string]any{"Err": e}
}

func writeLine(out io.Writer, msg any) error {
	data, err := json.Marshal(msg)
	if err != nil {
		return err
	}
	_, err = out.Write(append(data, '\n'))
	return err
}
