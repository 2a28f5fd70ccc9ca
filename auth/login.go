package auth

import (
	"context"
	"errors"

	"github.com/urfave/cli/v2"
)

type loginOptions struct{}

// newLoginCommand is a placeholder until its issue lands.
func newLoginCommand(f *Factory, runF func(context.Context, *loginOptions) error) *cli.Command {
	return &cli.Command{
		Name:  "login",
		Usage: "store a registry token in the keyring and make cargo use it",
		Action: func(c *cli.Context) error {
			return errors.New("login is not implemented yet")
		},
	}
}
