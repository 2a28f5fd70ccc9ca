package auth

import (
	"context"
	"errors"

	"github.com/urfave/cli/v2"
)

type tokenOptions struct{}

// newTokenCommand is a placeholder until its issue lands.
func newTokenCommand(f *Factory, runF func(context.Context, *tokenOptions) error) *cli.Command {
	return &cli.Command{
		Name:  "token",
		Usage: "print the token cargo-auth has for a registry",
		Action: func(c *cli.Context) error {
			return errors.New("token is not implemented yet")
		},
	}
}
