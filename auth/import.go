package auth

import (
	"context"
	"errors"

	"github.com/urfave/cli/v2"
)

type importOptions struct{}

// newImportCommand is a placeholder until its issue lands.
func newImportCommand(f *Factory, runF func(context.Context, *importOptions) error) *cli.Command {
	return &cli.Command{
		Name:  "import",
		Usage: "move plaintext tokens from cargo's files into the keyring",
		Action: func(c *cli.Context) error {
			return errors.New("import is not implemented yet")
		},
	}
}
