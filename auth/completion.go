package auth

import (
	"errors"

	"github.com/urfave/cli/v2"
)

// newCompletionCommand is a placeholder until the shipping issue lands.
func newCompletionCommand(f *Factory) *cli.Command {
	return &cli.Command{
		Name:  "completion",
		Usage: "print a shell completion script (bash, zsh or fish)",
		Action: func(c *cli.Context) error {
			return errors.New("completion is not implemented yet")
		},
	}
}
