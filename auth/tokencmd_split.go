package auth

import (
	"errors"
	"strings"
)

// splitCommandLine splits a --token-command value into argv the way a POSIX
// shell splits words, and nothing more: blanks separate words, '...' quotes
// literally, "..." quotes with \" \\ \$ \` escapes, and a backslash outside
// quotes escapes the next character. Nothing is expanded, so characters
// that would make a shell do more ($, `, |, &, ;, <, >, (, ), globs) are
// refused unless quoted: a token command that needs a pipe belongs in a
// script.
func splitCommandLine(s string) ([]string, error) {
	var (
		argv    []string
		word    strings.Builder
		inWord  bool
		quote   rune
		escaped bool
	)
	for _, r := range s {
		switch {
		case escaped:
			if quote == '"' && !strings.ContainsRune("\"\\$`\n", r) {
				word.WriteRune('\\')
			}
			if r != '\n' {
				word.WriteRune(r)
			}
			escaped = false
		case quote == '\'':
			if r == '\'' {
				quote = 0
			} else {
				word.WriteRune(r)
			}
		case quote == '"':
			switch r {
			case '"':
				quote = 0
			case '\\':
				escaped = true
			case '$', '`':
				return nil, errors.New("no variables or command substitutions are expanded: write the value itself, or use a wrapper script")
			default:
				word.WriteRune(r)
			}
		case r == '\\':
			escaped, inWord = true, true
		case r == '\'' || r == '"':
			quote, inWord = r, true
		case r == ' ' || r == '\t' || r == '\n':
			if inWord {
				argv = append(argv, word.String())
				word.Reset()
				inWord = false
			}
		case strings.ContainsRune("$`|&;<>()", r):
			return nil, errors.New("the command is run without a shell, so " + string(r) + " would not do what a shell does: quote it, or use a wrapper script")
		case r == '~' && !inWord:
			return nil, errors.New("the command is run without a shell, so ~ is not expanded: write the full path")
		case strings.ContainsRune("*?[", r):
			return nil, errors.New("the command is run without a shell, so " + string(r) + " is not expanded: quote it, or use a wrapper script")
		default:
			word.WriteRune(r)
			inWord = true
		}
	}
	if escaped || quote != 0 {
		return nil, errors.New("unterminated quote or trailing backslash")
	}
	if inWord {
		argv = append(argv, word.String())
	}
	return argv, nil
}
