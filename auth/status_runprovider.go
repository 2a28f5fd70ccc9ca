package auth

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os/exec"
	"strings"

	"github.com/cargo-auth/cargo-auth/cargoconfig"
	"github.com/cargo-auth/cargo-auth/credentials"
	"github.com/cargo-auth/cargo-auth/internal/redact"
)

// With --run-providers, status asks external providers and
// cargo:token-from-stdout exactly as cargo would: the same argv, the same
// environment, the same request, and the same working directory. Their
// stderr is kept (redacted) for the report; nothing reaches the terminal.

// providerAnswer is a provider's reply to a get request.
type providerAnswer struct {
	Ok *struct {
		Kind  string `json:"kind"`
		Token string `json:"token"`
	} `json:"Ok"`
	Err *struct {
		Kind    string `json:"kind"`
		Message string `json:"message"`
	} `json:"Err"`
}

// runExternal runs `PROGRAM --cargo-plugin` and asks it for a read token.
func (e *statusEngine) runExternal(ctx context.Context, r *statusRegistry, in chainInput, p cargoconfig.Provider, step *statusProvider) {
	ctx, cancel := context.WithTimeout(ctx, e.opts.Timeout)
	defer cancel()
	req := credentials.Request{
		V:         credentials.ProtocolVersion,
		Registry:  credentials.RegistryInfo{IndexURL: in.indexURL, Name: in.credName},
		Kind:      "get",
		Operation: "read",
		Args:      p.Argv[1:],
	}
	line, err := json.Marshal(req)
	if err != nil {
		step.Outcome, step.Detail = outcomeError, err.Error()
		return
	}
	cmd := exec.CommandContext(ctx, p.Argv[0], "--cargo-plugin")
	cmd.Env = e.opts.Factory.Environ()
	cmd.Dir = e.cfg.Cwd()
	var stderr bytes.Buffer
	cmd.Stderr = &limitedWriter{w: &stderr, n: 4 << 10}
	stdin, err := cmd.StdinPipe()
	if err != nil {
		step.Outcome, step.Detail = outcomeError, err.Error()
		return
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		step.Outcome, step.Detail = outcomeError, err.Error()
		return
	}
	if err := cmd.Start(); err != nil {
		e.providerFailed(r, step, "cannot start: "+err.Error())
		return
	}
	answer, err := converse(bufio.NewReader(io.LimitReader(stdout, 1<<20)), stdin, line)
	stdin.Close()
	waitErr := cmd.Wait()
	switch {
	case ctx.Err() != nil:
		e.providerFailed(r, step, fmt.Sprintf("no answer within %s", e.opts.Timeout))
	case err != nil:
		e.providerFailed(r, step, explainRun(err, waitErr, &stderr))
	case answer.Ok != nil && answer.Ok.Token != "":
		e.setToken(r, step, sourceProvider, "the provider "+p.Argv[0], credentials.ParseAuthorization(answer.Ok.Token), answer.Ok.Token)
	case answer.Err != nil && answer.Err.Kind == "not-found":
		step.Outcome, step.Detail = outcomeNotFound, "answered not-found"
	case answer.Err != nil && answer.Err.Kind == "url-not-supported":
		step.Outcome, step.Detail = outcomeNotSupported, "answered url-not-supported"
	case answer.Err != nil:
		e.providerFailed(r, step, "answered "+answer.Err.Kind+": "+redact.Text(answer.Err.Message))
	default:
		e.providerFailed(r, step, "answered without a token")
	}
}

// converse reads the hello, sends the request and reads one answer.
func converse(out *bufio.Reader, in io.Writer, request []byte) (providerAnswer, error) {
	var answer providerAnswer
	hello, err := out.ReadBytes('\n')
	if err != nil {
		return answer, fmt.Errorf("no hello: %w", err)
	}
	var h struct {
		V []int `json:"v"`
	}
	if json.Unmarshal(hello, &h) != nil || !containsInt(h.V, credentials.ProtocolVersion) {
		return answer, fmt.Errorf("the hello does not offer protocol version %d", credentials.ProtocolVersion)
	}
	if _, err := in.Write(append(request, '\n')); err != nil {
		return answer, fmt.Errorf("sending the request: %w", err)
	}
	reply, err := out.ReadBytes('\n')
	if err != nil && len(reply) == 0 {
		return answer, fmt.Errorf("no answer: %w", err)
	}
	if err := json.Unmarshal(reply, &answer); err != nil {
		return answer, fmt.Errorf("the answer is not protocol JSON")
	}
	return answer, nil
}

func containsInt(xs []int, x int) bool {
	for _, v := range xs {
		if v == x {
			return true
		}
	}
	return false
}

// runTokenFromStdout runs the command of cargo:token-from-stdout with the
// variables cargo sets, and takes the first line of its output.
func (e *statusEngine) runTokenFromStdout(ctx context.Context, r *statusRegistry, in chainInput, p cargoconfig.Provider, step *statusProvider) {
	ctx, cancel := context.WithTimeout(ctx, e.opts.Timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, p.Argv[1], p.Argv[2:]...)
	cmd.Env = append(e.opts.Factory.Environ(), "CARGO_REGISTRY_INDEX_URL="+in.indexURL, "CARGO_REGISTRY_NAME_OPT="+in.credName)
	cmd.Dir = e.cfg.Cwd()
	var stdout, stderr bytes.Buffer
	cmd.Stdout = &limitedWriter{w: &stdout, n: 64 << 10}
	cmd.Stderr = &limitedWriter{w: &stderr, n: 4 << 10}
	err := cmd.Run()
	token, _, _ := strings.Cut(stdout.String(), "\n")
	token = strings.TrimSpace(token)
	if token != "" {
		redact.Register(token)
	}
	switch {
	case ctx.Err() != nil:
		e.providerFailed(r, step, fmt.Sprintf("%s gave no token within %s", p.Argv[1], e.opts.Timeout))
	case err != nil:
		e.providerFailed(r, step, explainRun(err, err, &stderr))
	case token == "":
		e.providerFailed(r, step, p.Argv[1]+" printed no token")
	default:
		e.setToken(r, step, sourceStdout, "the output of "+p.Argv[1], credentials.ParseAuthorization(token), token)
	}
}

// providerFailed records a provider that ran and failed: cargo stops.
func (e *statusEngine) providerFailed(r *statusRegistry, step *statusProvider, why string) {
	step.Outcome, step.Detail = outcomeError, why
	r.add(newProblem(probProviderFailed, "the provider "+step.Name+" fails: "+why,
		"run the provider by hand to see why, or fix its configuration"))
}

// explainRun describes a failed provider run with its stderr's last line.
func explainRun(err, waitErr error, stderr *bytes.Buffer) string {
	msg := err.Error()
	if waitErr != nil && waitErr != err {
		msg += " (" + waitErr.Error() + ")"
	}
	lines := strings.Split(strings.TrimSpace(stderr.String()), "\n")
	if last := strings.TrimSpace(lines[len(lines)-1]); last != "" {
		msg += ": " + last
	}
	return redact.Text(msg)
}

// limitedWriter keeps the first n bytes and drops the rest.
type limitedWriter struct {
	w io.Writer
	n int
}

func (l *limitedWriter) Write(p []byte) (int, error) {
	if l.n > 0 {
		k := min(l.n, len(p))
		l.w.Write(p[:k])
		l.n -= k
	}
	return len(p), nil
}
