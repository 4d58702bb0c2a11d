package queue

import (
	"context"

	"github.com/galley-dev/galley/server"
)

// Dispatching returns runs whose Train and Score dispatch the run they
// queue at once, rather than at the dispatcher's next poll.
func Dispatching(runs server.RunService, q *Queue) server.RunService {
	return dispatching{runs, q}
}

type dispatching struct {
	server.RunService
	q *Queue
}

func (d dispatching) Train(ctx context.Context, req server.TrainRequest) (*server.Run, error) {
	r, err := d.RunService.Train(ctx, req)
	if err == nil {
		d.q.Kick()
	}
	return r, err
}

func (d dispatching) Score(ctx context.Context, req server.ScoreRequest) (*server.Run, error) {
	r, err := d.RunService.Score(ctx, req)
	if err == nil {
		d.q.Kick()
	}
	return r, err
}
