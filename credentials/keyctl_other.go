//go:build !linux

package credentials

import "context"

func openKeyctl(ctx context.Context, opts Options) (Store, error) {
	return nil, unavailable(BackendKeyctl, "only on Linux")
}
