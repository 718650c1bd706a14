package serviceaccount

import (
	"context"
	"errors"
	"time"

	"github.com/rs/zerolog"

	"github.com/minik8s/minik8s/api"
	"github.com/minik8s/minik8s/client"
	"github.com/minik8s/minik8s/controllers/controllerutil"
	"github.com/minik8s/minik8s/informer"
)

// The objects every namespace gets.
const (
	DefaultName = "default"
	RootCAName  = "kube-root-ca.crt"
	RootCAKey   = "ca.crt"
)

// Deps are the controller's client, its informers and the CA to publish.
type Deps struct {
	Client          *client.Client
	Namespaces      *informer.Informer[*api.Namespace]
	ServiceAccounts *informer.Informer[*api.ServiceAccount]
	// ConfigMaps need hold only the kube-root-ca.crt ConfigMaps.
	ConfigMaps *informer.Informer[*api.ConfigMap]
	// RootCA is the cluster CA in PEM; nil: no kube-root-ca.crt.
	RootCA []byte
}

// Controller is the service account controller; see the package doc.
type Controller struct {
	deps Deps
	log  zerolog.Logger
	loop controllerutil.Loop
}

// New returns a controller. It registers its handlers on the informers;
// it starts nothing.
func New(deps Deps, log zerolog.Logger) (*Controller, error) {
	if deps.Client == nil || deps.Namespaces == nil || deps.ServiceAccounts == nil || deps.ConfigMaps == nil {
		return nil, errors.New("serviceaccount controller: client and informers are required")
	}
	c := &Controller{deps: deps, log: log}
	c.loop = controllerutil.Loop{Name: "serviceaccount controller", Log: log, Sync: c.sync,
		HasSynced: []func() bool{deps.Namespaces.HasSynced, deps.ServiceAccounts.HasSynced, deps.ConfigMaps.HasSynced}}
	ns := func(name string) { c.loop.Add(informer.Key{Name: name}) }
	deps.Namespaces.AddHandler(informer.HandlerFuncs[*api.Namespace]{
		AddFunc:    func(n *api.Namespace) { ns(n.Name) },
		UpdateFunc: func(_, n *api.Namespace) { ns(n.Name) },
	})
	deps.ServiceAccounts.AddHandler(informer.HandlerFuncs[*api.ServiceAccount]{
		DeleteFunc: func(sa *api.ServiceAccount) {
			if sa.Name == DefaultName {
				ns(sa.Namespace)
			}
		},
	})
	deps.ConfigMaps.AddHandler(informer.HandlerFuncs[*api.ConfigMap]{
		UpdateFunc: func(_, cm *api.ConfigMap) {
			if cm.Name == RootCAName {
				ns(cm.Namespace)
			}
		},
		DeleteFunc: func(cm *api.ConfigMap) {
			if cm.Name == RootCAName {
				ns(cm.Namespace)
			}
		},
	})
	return c, nil
}

// Run waits for the informers to sync, then runs workers until ctx ends.
// It returns nil then, after the workers have stopped. Run may be called
// once: build a new one for each term of leadership.
func (c *Controller) Run(ctx context.Context, workers int) error { return c.loop.Run(ctx, workers) }

// sync gives namespace key.Name its default ServiceAccount and
// kube-root-ca.crt.
func (c *Controller) sync(ctx context.Context, key informer.Key) (time.Duration, error) {
	ns, ok := c.deps.Namespaces.Get(key)
	if !ok || ns.DeletionTimestamp != nil || ns.Status.Phase == api.NamespaceTerminating {
		return 0, nil
	}
	if _, ok := c.deps.ServiceAccounts.Get(informer.Key{Namespace: ns.Name, Name: DefaultName}); !ok {
		sa := &api.ServiceAccount{ObjectMeta: api.ObjectMeta{Name: DefaultName, Namespace: ns.Name}}
		_, err := client.Resource[api.ServiceAccount](c.deps.Client, client.ServiceAccounts, ns.Name).Create(ctx, sa)
		if err := ignoreDone(err); err != nil {
			return 0, err
		}
		if err == nil {
			c.log.Debug().Str("namespace", ns.Name).Msg("created the default service account")
		}
	}
	if c.deps.RootCA == nil {
		return 0, nil
	}
	cms := client.Resource[api.ConfigMap](c.deps.Client, client.ConfigMaps, ns.Name)
	want := map[string]string{RootCAKey: string(c.deps.RootCA)}
	cur, ok := c.deps.ConfigMaps.Get(informer.Key{Namespace: ns.Name, Name: RootCAName})
	switch {
	case !ok:
		_, err := cms.Create(ctx, &api.ConfigMap{ObjectMeta: api.ObjectMeta{Name: RootCAName, Namespace: ns.Name}, Data: want})
		return 0, ignoreDone(err)
	case len(cur.Data) != 1 || cur.Data[RootCAKey] != want[RootCAKey] || len(cur.BinaryData) > 0:
		next := api.DeepCopy(cur)
		next.Data, next.BinaryData = want, nil
		_, err := cms.Update(ctx, next)
		return 0, ignoreDone(err)
	}
	return 0, nil
}

// ignoreDone drops the errors that mean there is nothing left to do: the
// object exists already, or its namespace is gone.
func ignoreDone(err error) error {
	if err == nil || client.IsAlreadyExists(err) || client.IsNotFound(err) {
		return nil
	}
	return err
}
