package auth

import (
	"context"
	"errors"

	"github.com/urfave/cli/v2"
)

type backendsOptions struct{}

// newBackendsCommand is a placeholder until its issue lands.
func newBackendsCommand(f *Factory, runF func(context.Context, *backendsOptions) error) *cli.Command {
	return &cli.Command{
		Name:  "backends",
		Usage: "list keyring backends and whether each works on this machine",
		Action: func(c *cli.Context) error {
			return errors.New("backends is not implemented yet")
		},
	}
}
