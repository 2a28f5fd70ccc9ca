package auth

import (
	"context"
	"errors"

	"github.com/urfave/cli/v2"
)

type statusOptions struct{}

// newStatusCommand is a placeholder until its issue lands.
func newStatusCommand(f *Factory, runF func(context.Context, *statusOptions) error) *cli.Command {
	return &cli.Command{
		Name:  "status",
		Usage: "show, for every registry, which token cargo will use and whether it works",
		Action: func(c *cli.Context) error {
			return errors.New("status is not implemented yet")
		},
	}
}
