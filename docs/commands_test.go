package docs

import (
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/urfave/cli/v2"

	"github.com/cargo-auth/cargo-auth/auth"
)

// The docs must not drift from the CLI: every `cargo auth ...` (or
// `cargo-auth ...`) command line inside a fenced code block of README.md and
// docs/**/*.md must name a real command and only flags that command has.
//
// A command line is a simple shell command whose program is `cargo auth` or
// `cargo-auth`: at the start of a line (after a `$ ` prompt, a YAML `- ` or
// `run:`, `exec`, or VAR=value assignments), after a pipe, `&&`, `||` or
// `;`, inside `$(...)` or backticks, and inside backticks in a comment. In
// a `console` block only the `$ ` lines are commands; the rest is output, as
// is everything in a `text` block.
// Quoted words are values, never flags, and a flag that takes a value skips
// the next word. Synopsis lines (`cargo auth login [NAME] [--index URL]`,
// continued on indented lines that start with `[`) are checked the same
// way: brackets and `|` alternatives are notation. A line ending in
// `# example` is not checked. The generated reference.md is skipped: it is
// made from the app itself (TestGenerated).

// exampleMarker ends a line that shows a made-up command on purpose.
const exampleMarker = "# example"

// globalFlags are accepted before the command. --cargo-plugin is read by
// auth.Main before the app runs (cargo starts providers that way).
var globalFlags = []string{"help", "h", "version", "v", "cargo-plugin"}

// docCommand is one cargo-auth command line found in a document.
type docCommand struct {
	file string
	line int
	text string
	args []string // the words after `cargo auth` / `cargo-auth`
}

func (c docCommand) String() string {
	return fmt.Sprintf("%s:%d: `%s`", c.file, c.line, strings.TrimSpace(c.text))
}

func TestDocCommandsExist(t *testing.T) {
	commands, problems := checkDocTree(t, "..")
	for _, p := range problems {
		t.Error(p)
	}
	if len(commands) < 60 {
		t.Errorf("found only %d cargo-auth command lines in the docs; the scanner is broken", len(commands))
	}
	perFile := map[string]int{}
	for _, c := range commands {
		perFile[c.file]++
	}
	for _, f := range []string{"README.md", "docs/quickstart.md", "docs/ci.md", "docs/tokens.md"} {
		if perFile[f] == 0 {
			t.Errorf("%s: no cargo-auth command line found", f)
		}
	}
}

// TestDocCommandsCatchDrift runs the check on a copy of the docs with bogus
// lines added, and expects exactly those lines to fail.
func TestDocCommandsCatchDrift(t *testing.T) {
	root := t.TempDir()
	copyDocs(t, "..", root)
	bogus := "\n```sh\n" +
		"cargo auth logn corp\n" + // no such command
		"printenv CORP_TOKEN | cargo-auth login corp --token-file t --tokn x\n" + // no such flag
		"cargo auth status --offline && cargo auth verify corp --formt sarif > v.sarif\n" +
		"cargo auth frobnicate --everything # example\n" + // marked: skipped
		"cargo auth status \\\n  --json --colour\n" + // a continued line
		"```\n" +
		"\n```console\n$ curl -H \"Authorization: $(cargo auth token corp --raw)\" https://x.example/\n```\n"
	quickstart := filepath.Join(root, "docs", "quickstart.md")
	f, err := os.OpenFile(quickstart, os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.WriteString(bogus); err != nil {
		t.Fatal(err)
	}
	f.Close()

	_, problems := checkDocTree(t, root)
	want := []string{
		`no command "logn"`,
		`login has no flag --tokn`,
		`verify has no flag --formt`,
		`status has no flag --colour`,
		`token has no flag --raw`,
	}
	if len(problems) != len(want) {
		t.Fatalf("got %d problems, want %d:\n%s", len(problems), len(want), strings.Join(problems, "\n"))
	}
	for i, w := range want {
		if !strings.Contains(problems[i], "docs/quickstart.md:") || !strings.Contains(problems[i], w) {
			t.Errorf("problem %d = %q, want one in docs/quickstart.md saying %q", i, problems[i], w)
		}
	}
}

func TestScanCommandLines(t *testing.T) {
	cases := []struct {
		line string
		want []string // each command's args, joined by spaces
	}{
		{"cargo auth login corp", []string{"login corp"}},
		{"$ cargo auth status --offline", []string{"status --offline"}},
		{"cargo-auth auth token corp", []string{"token corp"}},
		{"/usr/local/bin/cargo-auth --cargo-plugin", []string{"--cargo-plugin"}},
		{"printenv T | cargo auth login corp", []string{"login corp"}},
		{"go install . && PATH=\"$(go env GOPATH)/bin:$PATH\" cargo auth status", []string{"status"}},
		{`curl -H "Authorization: $(cargo auth token corp)" https://x/`, []string{"token corp"}},
		{"X=$(cargo auth token corp) cargo publish", []string{"token corp"}},
		{"cargo auth verify corp --format sarif > out.sarif 2>&1", []string{"verify corp --format sarif"}},
		{"cargo auth login corp < corp.token", []string{"login corp"}},
		{"cargo auth login ca --token-command 'aws codeartifact --output json'", []string{"login ca --token-command aws codeartifact --output json"}},
		{"  - cargo auth rewrite-config --check", []string{"rewrite-config --check"}},
		{"run: cargo auth verify corp", []string{"verify corp"}},
		{"exec cargo auth rewrite-config --check", []string{"rewrite-config --check"}},
		{"# after `cargo auth login corp`", []string{"login corp"}},
		{"cargo auth verify [NAME] [--format text|json | --json] [--crate N]... | [--crates-from F]", []string{"verify [NAME] [--format text|json | --json] [--crate N]... [--crates-from F]"}},
		{"✓ cargo now asks cargo-auth for corp's token", nil},
		{"cargo-auth: corp refused the token", nil},
		{`global-credential-providers = ["cargo:token", "cargo-auth --backend keyctl"]`, nil},
		{"cargo login --registry corp -- --scheme bearer", nil},
		{"cargo auth frobnicate # example", nil},
	}
	for _, c := range cases {
		var got []string
		for _, args := range scanCommandLine(c.line) {
			got = append(got, strings.Join(args, " "))
		}
		if !slices.Equal(got, c.want) {
			t.Errorf("scanCommandLine(%q) = %q, want %q", c.line, got, c.want)
		}
	}
}

// checkDocTree checks README.md and docs/**/*.md under root and returns
// every command line found and one message per line that does not match
// the app.
func checkDocTree(t *testing.T, root string) ([]docCommand, []string) {
	t.Helper()
	app := auth.NewApp(&auth.Factory{})
	app.Setup()
	var commands []docCommand
	var problems []string
	for _, rel := range docFiles(t, root) {
		src, err := os.ReadFile(filepath.Join(root, rel))
		if err != nil {
			t.Fatal(err)
		}
		if strings.HasPrefix(string(src), "<!-- Generated from the app") {
			continue
		}
		for _, c := range findDocCommands(rel, string(src)) {
			commands = append(commands, c)
			if err := checkArgs(app, c.args); err != nil {
				problems = append(problems, fmt.Sprintf("%s: %v", c, err))
			}
		}
	}
	return commands, problems
}

// docFiles lists README.md and every .md file under docs/, relative to root.
func docFiles(t *testing.T, root string) []string {
	t.Helper()
	files := []string{"README.md"}
	err := filepath.WalkDir(filepath.Join(root, "docs"), func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.IsDir() && strings.HasSuffix(path, ".md") {
			rel, err := filepath.Rel(root, path)
			if err != nil {
				return err
			}
			files = append(files, filepath.ToSlash(rel))
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return files
}

func copyDocs(t *testing.T, from, to string) {
	t.Helper()
	for _, rel := range docFiles(t, from) {
		data, err := os.ReadFile(filepath.Join(from, rel))
		if err != nil {
			t.Fatal(err)
		}
		dst := filepath.Join(to, rel)
		if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(dst, data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// checkArgs says what is wrong with the words after `cargo auth`, or nil.
func checkArgs(app *cli.App, args []string) error {
	i := 0
	for ; i < len(args) && isFlagWord(args[i]); i++ {
		name := flagName(args[i])
		if !slices.Contains(globalFlags, name) {
			return fmt.Errorf("cargo auth has no global flag %s", dashes(name))
		}
		if name == "cargo-plugin" {
			return nil
		}
	}
	if i == len(args) {
		return nil
	}
	name := notation(args[i])
	cmd := findCommand(app.Commands, name)
	if cmd == nil {
		return fmt.Errorf("no command %q", name)
	}
	path := cmd.Name
	for i++; len(cmd.Subcommands) > 0 && i < len(args) && !isFlagWord(args[i]); i++ {
		sub := findCommand(cmd.Subcommands, notation(args[i]))
		if sub == nil {
			return fmt.Errorf("%s has no subcommand %q", path, notation(args[i]))
		}
		cmd, path = sub, path+" "+sub.Name
	}
	for ; i < len(args); i++ {
		word := notation(args[i])
		if word == "--" {
			break
		}
		if !isFlagWord(word) {
			continue
		}
		name := flagName(word)
		flag := findFlag(cmd, name)
		if flag == nil {
			return fmt.Errorf("%s has no flag %s", path, dashes(name))
		}
		if takesValue(flag) && !strings.Contains(word, "=") {
			i++
		}
	}
	return nil
}

func findCommand(commands []*cli.Command, name string) *cli.Command {
	for _, c := range commands {
		if c.HasName(name) {
			return c
		}
	}
	return nil
}

func findFlag(cmd *cli.Command, name string) cli.Flag {
	if name == "help" || name == "h" {
		return cli.HelpFlag
	}
	for _, f := range cmd.Flags {
		if slices.Contains(f.Names(), name) {
			return f
		}
	}
	return nil
}

func takesValue(f cli.Flag) bool {
	d, ok := f.(cli.DocGenerationFlag)
	return ok && d.TakesValue()
}

func isFlagWord(w string) bool {
	w = notation(w)
	return len(w) > 1 && w[0] == '-' && w != "--"
}

func flagName(w string) string {
	name, _, _ := strings.Cut(strings.TrimLeft(notation(w), "-"), "=")
	return name
}

func dashes(name string) string {
	if len(name) == 1 {
		return "-" + name
	}
	return "--" + name
}

// notation strips synopsis brackets and ellipses from a word:
// "[--crate" and "NAME[@VERSION]]..." lose their outer brackets.
func notation(w string) string {
	w = strings.TrimLeft(w, "[(")
	for {
		trimmed := strings.TrimSuffix(strings.TrimRight(w, "])"), "...")
		if trimmed == w {
			return w
		}
		w = trimmed
	}
}

// findDocCommands returns the cargo-auth command lines inside the fenced
// code blocks of a Markdown document.
func findDocCommands(file, src string) []docCommand {
	var out []docCommand
	lines := strings.Split(src, "\n")
	fence, console, output := "", false, false
	heredoc := ""
	for n := 0; n < len(lines); n++ {
		line := lines[n]
		trimmed := strings.TrimSpace(line)
		if fence == "" {
			if f := fenceOf(trimmed); f != "" {
				fence = f
				info := strings.TrimSpace(strings.TrimLeft(trimmed, f[:1]))
				console = info == "console" || info == "shell-session"
				output = info == "text" || info == "output"
			}
			continue
		}
		if strings.HasPrefix(trimmed, fence) && strings.Trim(trimmed, fence[:1]) == "" {
			fence, heredoc = "", ""
			continue
		}
		if heredoc != "" {
			if trimmed == heredoc {
				heredoc = ""
			}
			continue
		}
		if output || console && !strings.HasPrefix(trimmed, "$ ") {
			continue // output, not a command
		}
		start := n
		text := line
		for strings.HasSuffix(text, "\\") && n+1 < len(lines) {
			n++
			text = strings.TrimSuffix(text, "\\") + " " + strings.TrimSpace(lines[n])
		}
		heredoc = heredocTag(text)
		found := scanCommandLine(text)
		if len(found) > 0 {
			// An indented continuation of a synopsis: `                 [--scheme ...]`.
			for n+1 < len(lines) && isSynopsisContinuation(lines[n+1]) {
				n++
				text += " " + strings.TrimSpace(lines[n])
			}
			found = scanCommandLine(text)
		}
		for _, args := range found {
			out = append(out, docCommand{file: file, line: start + 1, text: text, args: args})
		}
	}
	return out
}

func fenceOf(trimmed string) string {
	for _, c := range []string{"`", "~"} {
		if strings.HasPrefix(trimmed, strings.Repeat(c, 3)) {
			return strings.Repeat(c, len(trimmed)-len(strings.TrimLeft(trimmed, c)))
		}
	}
	return ""
}

func isSynopsisContinuation(line string) bool {
	return strings.HasPrefix(line, " ") && strings.HasPrefix(strings.TrimSpace(line), "[")
}

var heredocRE = regexp.MustCompile(`(?:^|[^<])<<-?\s*['"]?([A-Za-z_]+)['"]?`)

func heredocTag(line string) string {
	if m := heredocRE.FindStringSubmatch(line); m != nil {
		return m[1]
	}
	return ""
}

// commandPrefixes are words that may stand before a program name.
var commandPrefixes = []string{"$", "-", "run:", "script:", "exec", "time", "env", "sudo", "command", "nohup", "!", "then", "do", "else", "if", "while", "until"}

var assignmentRE = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*=`)

// scanCommandLine returns, for each cargo-auth command in one logical shell
// line, the words after `cargo auth` or `cargo-auth`.
func scanCommandLine(line string) [][]string {
	if strings.HasSuffix(strings.TrimSpace(line), exampleMarker) {
		return nil
	}
	var out [][]string
	for _, words := range splitSimpleCommands(line, &out) {
		if args, ok := cargoAuthArgs(words); ok {
			out = append(out, args)
		}
	}
	return out
}

func cargoAuthArgs(words []string) ([]string, bool) {
	i := 0
	for i < len(words) && (slices.Contains(commandPrefixes, words[i]) || assignmentRE.MatchString(words[i])) {
		i++
	}
	words = words[i:]
	var args []string
	switch {
	case len(words) >= 2 && words[0] == "cargo" && words[1] == "auth":
		args = words[2:]
	case len(words) >= 1 && (words[0] == "cargo-auth" || strings.HasSuffix(words[0], "/cargo-auth")):
		args = words[1:]
		if len(args) > 0 && args[0] == "auth" {
			args = args[1:]
		}
	default:
		return nil, false
	}
	// Output that starts with the program's name (a benchmark's
	// "cargo-auth   5833 ms wall") is not a command line: a command name or
	// a flag starts with a letter, a dash or a synopsis bracket.
	if len(args) > 0 && !commandWordRE.MatchString(args[0]) {
		return nil, false
	}
	return args, true
}

var commandWordRE = regexp.MustCompile(`^[A-Za-z\[-]`)

// splitSimpleCommands splits a shell line into simple commands (lists of
// words, quotes removed), descending into $(...) and backticks, whose
// commands are scanned into nested. Inside synopsis brackets `|` is a
// word; a ` | ` followed by `[` or `-` is an alternative, not a pipe.
func splitSimpleCommands(line string, nested *[][]string) [][]string {
	var commands [][]string
	var words []string
	var word strings.Builder
	inWord, skipNext, depth := false, false, 0
	endWord := func() {
		if inWord {
			if !skipNext {
				words = append(words, word.String())
			}
			skipNext = false
		}
		word.Reset()
		inWord = false
	}
	endCommand := func() {
		endWord()
		if len(words) > 0 {
			commands = append(commands, words)
		}
		words = nil
	}
	substitute := func(inner string) {
		*nested = append(*nested, scanCommandLine(inner)...)
		word.WriteString("SUBST")
		inWord = true
	}
	for i := 0; i < len(line); i++ {
		c := line[i]
		switch {
		case c == '\\' && i+1 < len(line):
			i++
			word.WriteByte(line[i])
			inWord = true
		case c == '\'':
			end := strings.IndexByte(line[i+1:], '\'')
			if end < 0 {
				end = len(line) - i - 1
			}
			word.WriteString(line[i+1 : i+1+end])
			inWord = true
			i += end + 1
		case c == '"':
			j := i + 1
			for ; j < len(line) && line[j] != '"'; j++ {
				switch {
				case line[j] == '\\' && j+1 < len(line):
					j++
					word.WriteByte(line[j])
				case strings.HasPrefix(line[j:], "$("):
					end := closingParen(line, j+2)
					substitute(line[j+2 : end])
					j = end
				case line[j] == '`':
					end := strings.IndexByte(line[j+1:], '`')
					if end < 0 {
						end = len(line) - j - 1
					}
					substitute(line[j+1 : j+1+end])
					j += end + 1
				default:
					word.WriteByte(line[j])
				}
			}
			inWord = true
			i = j
		case strings.HasPrefix(line[i:], "$("):
			end := closingParen(line, i+2)
			substitute(line[i+2 : end])
			i = end
		case c == '`':
			end := strings.IndexByte(line[i+1:], '`')
			if end < 0 {
				end = len(line) - i - 1
			}
			substitute(line[i+1 : i+1+end])
			i += end + 1
		case c == '#' && !inWord:
			// A comment: only `code` spans in it are commands.
			endCommand()
			for _, span := range backtickSpans(line[i+1:]) {
				*nested = append(*nested, scanCommandLine(span)...)
			}
			return commands
		case c == ' ' || c == '\t':
			endWord()
		case c == '[':
			depth++
			word.WriteByte(c)
			inWord = true
		case c == ']':
			if depth > 0 {
				depth--
			}
			word.WriteByte(c)
			inWord = true
		case c == '|' && depth > 0:
			word.WriteByte(c)
			inWord = true
		case c == '|':
			if strings.HasPrefix(line[i:], "||") {
				i++
				endCommand()
				continue
			}
			rest := strings.TrimLeft(line[i+1:], " ")
			if strings.HasPrefix(rest, "[") || strings.HasPrefix(rest, "-") {
				endWord() // a synopsis alternative
				continue
			}
			endCommand()
		case c == ';' || c == '&' || c == '(' || c == ')':
			if c == '&' && i > 0 && line[i-1] == '>' {
				continue
			}
			endCommand()
		case c == '<' || c == '>':
			if w := word.String(); inWord && (w == "1" || w == "2") {
				word.Reset()
				inWord = false
			} else {
				endWord()
			}
			for i+1 < len(line) && (line[i+1] == '<' || line[i+1] == '>') {
				i++
			}
			if i+1 < len(line) && line[i+1] == '&' {
				for i+1 < len(line) && line[i+1] != ' ' {
					i++
				}
				continue
			}
			skipNext = true
		default:
			word.WriteByte(c)
			inWord = true
		}
	}
	endCommand()
	return commands
}

// closingParen returns the index of the ')' that closes a '(' just before
// from, or len(s).
func closingParen(s string, from int) int {
	depth := 1
	for i := from; i < len(s); i++ {
		switch s[i] {
		case '(':
			depth++
		case ')':
			depth--
			if depth == 0 {
				return i
			}
		}
	}
	return len(s)
}

func backtickSpans(s string) []string {
	var spans []string
	for {
		start := strings.IndexByte(s, '`')
		if start < 0 {
			return spans
		}
		end := strings.IndexByte(s[start+1:], '`')
		if end < 0 {
			return spans
		}
		spans = append(spans, s[start+1:start+1+end])
		s = s[start+1+end+1:]
	}
}

// The recipes in the docs must not teach leaking: in a code block, a
// secret (a variable named like a token, passphrase or password, or a
// GitHub `${{ secrets.X }}`) may only be assigned to a variable (shell
// `NAME=...`, `export NAME=...`, a YAML `NAME: ...` environment entry), or
// named for `printenv NAME | ...`. Never echoed, redirected into a file,
// passed as an argument, or interpolated into a GitHub `run:` script (the
// runner writes the script to disk).
//
// It covers the pages that give recipes to copy: the quick start, the CI
// recipes and the per-registry guides.
func TestDocRecipesKeepSecretsOffDiskAndArgv(t *testing.T) {
	for _, rel := range docFiles(t, "..") {
		if !isRecipePage(rel) {
			continue
		}
		src, err := os.ReadFile(filepath.Join("..", rel))
		if err != nil {
			t.Fatal(err)
		}
		for _, p := range secretMisuses(rel, string(src)) {
			t.Error(p)
		}
	}
	bad := "```yaml\n" +
		"      - run: echo \"$CORP_REGISTRY_TOKEN\" | cargo auth login corp\n" +
		"      - run: cargo auth login corp --token-file <(printf %s \"${{ secrets.T }}\")\n" +
		"        env:\n" +
		"          CARGO_REGISTRIES_CORP_TOKEN: ${{ secrets.CORP_REGISTRY_TOKEN }}\n" +
		"```\n```sh\n" +
		"printf '%s' \"$CORP_TOKEN\" > token.txt\n" +
		"export CARGO_REGISTRIES_CORP_TOKEN=\"Bearer $CORP_TOKEN\"\n" +
		"curl -H \"Authorization: $CORP_TOKEN\" https://x.example/\n" +
		"printenv CORP_TOKEN | cargo auth login corp\n" +
		"```\n"
	got := secretMisuses("bad.md", bad)
	want := []int{2, 3, 8, 10}
	if len(got) != len(want) {
		t.Fatalf("secretMisuses found %d problems, want %d:\n%s", len(got), len(want), strings.Join(got, "\n"))
	}
	for i, line := range want {
		if !strings.HasPrefix(got[i], fmt.Sprintf("bad.md:%d:", line)) {
			t.Errorf("problem %d = %q, want one on line %d", i, got[i], line)
		}
	}
}

func isRecipePage(rel string) bool {
	return rel == "docs/quickstart.md" || rel == "docs/ci.md" || strings.HasPrefix(rel, "docs/guides/")
}

var (
	secretVarRE    = regexp.MustCompile(`\$\{?[A-Z0-9_]*(TOKEN|PASSPHRASE|PASSWORD|SECRET|_PAT)\b`)
	githubSecretRE = regexp.MustCompile(`\$\{\{\s*secrets\.`)
	yamlEnvEntryRE = regexp.MustCompile(`^\s*[A-Z_][A-Z0-9_]*:\s`)
	leakyWordRE    = regexp.MustCompile(`(^|[\s;|&(])(echo|tee)(\s|$)|>|--token-file|<<<`)
)

// secretMisuses lists the lines of src's code blocks that use a secret in
// a way that can leak it.
func secretMisuses(file, src string) []string {
	var problems []string
	fence := ""
	for n, line := range strings.Split(src, "\n") {
		trimmed := strings.TrimSpace(line)
		if fence == "" {
			fence = fenceOf(trimmed)
			continue
		}
		if strings.HasPrefix(trimmed, fence) && strings.Trim(trimmed, fence[:1]) == "" {
			fence = ""
			continue
		}
		if strings.HasPrefix(trimmed, "#") {
			continue // a comment may mention anything
		}
		code := trimmed
		if i := strings.Index(code, " #"); i >= 0 {
			code = code[:i] // a comment may mention anything
		}
		if !secretVarRE.MatchString(code) && !githubSecretRE.MatchString(code) {
			continue
		}
		if yamlEnvEntryRE.MatchString(line) {
			continue // an environment entry: the one right way in
		}
		problem := ""
		switch {
		case githubSecretRE.MatchString(code):
			problem = "interpolates a GitHub secret outside an env entry"
		case leakyWordRE.MatchString(code):
			problem = "echoes or redirects a secret"
		default:
			var nested [][]string
			for _, words := range splitSimpleCommands(strings.TrimPrefix(strings.TrimPrefix(code, "- "), "run: "), &nested) {
				if len(words) > 0 && words[0] == "export" {
					words = words[1:]
				}
				for _, w := range words {
					if strings.Contains(w, "$") && secretVarRE.MatchString(w) && !assignmentRE.MatchString(w) {
						problem = "passes a secret as an argument"
					}
				}
			}
		}
		if problem != "" {
			problems = append(problems, fmt.Sprintf("%s:%d: %s: %s", file, n+1, problem, trimmed))
		}
	}
	return problems
}
