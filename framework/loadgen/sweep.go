package loadgen

import (
	"context"
	"fmt"
	"time"
)

func (e *engine) sweep(ctx context.Context, cancelReqs context.CancelFunc) ([]Stage, error) {
	return nil, fmt.Errorf("load.sweep is not implemented yet")
}

var _ = time.Second
