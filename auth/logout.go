package auth

import (
	"context"
	"errors"

	"github.com/urfave/cli/v2"
)

type logoutOptions struct{}

// newLogoutCommand is a placeholder until its issue lands.
func newLogoutCommand(f *Factory, runF func(context.Context, *logoutOptions) error) *cli.Command {
	return &cli.Command{
		Name:  "logout",
		Usage: "remove a registry token from the keyring",
		Action: func(c *cli.Context) error {
			return errors.New("logout is not implemented yet")
		},
	}
}
