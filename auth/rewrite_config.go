package auth

import (
	"context"
	"errors"

	"github.com/urfave/cli/v2"
)

type rewriteConfigOptions struct{}

// newRewriteConfigCommand is a placeholder until its issue lands.
func newRewriteConfigCommand(f *Factory, runF func(context.Context, *rewriteConfigOptions) error) *cli.Command {
	return &cli.Command{
		Name:  "rewrite-config",
		Usage: "put token-bearing index URLs where cargo needs them, without leaking them",
		Action: func(c *cli.Context) error {
			return errors.New("rewrite-config is not implemented yet")
		},
	}
}
