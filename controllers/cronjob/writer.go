package cronjob

import (
	"context"

	"github.com/minik8s/minik8s/api"
	"github.com/minik8s/minik8s/client"
)

// writer is every call the controller makes to the API server.
type writer interface {
	CreateJob(ctx context.Context, job *api.Job) (*api.Job, error)
	DeleteJob(ctx context.Context, namespace, name, uid string) error
	UpdateStatus(ctx context.Context, cj *api.CronJob) (*api.CronJob, error)
}

type clientWriter struct{ c *client.Client }

func (w clientWriter) CreateJob(ctx context.Context, job *api.Job) (*api.Job, error) {
	return w.c.Jobs(job.Namespace).Create(ctx, job)
}

// DeleteJob deletes the Job, if it still has uid, and (in the background)
// its pods.
func (w clientWriter) DeleteJob(ctx context.Context, namespace, name, uid string) error {
	bg := api.PropagationBackground
	return w.c.Jobs(namespace).Delete(ctx, name, api.DeleteOptions{
		Preconditions: &api.Preconditions{UID: &uid}, PropagationPolicy: &bg})
}

func (w clientWriter) UpdateStatus(ctx context.Context, cj *api.CronJob) (*api.CronJob, error) {
	return w.c.CronJobs(cj.Namespace).UpdateStatus(ctx, cj)
}
