package auth

import (
	"context"
	"errors"

	"github.com/urfave/cli/v2"
)

type verifyOptions struct{}

// newVerifyCommand is a placeholder until its issue lands.
func newVerifyCommand(f *Factory, runF func(context.Context, *verifyOptions) error) *cli.Command {
	return &cli.Command{
		Name:  "verify",
		Usage: "prove that a registry requires authentication on every endpoint",
		Action: func(c *cli.Context) error {
			return errors.New("verify is not implemented yet")
		},
	}
}
