package rolebinding

import (
	"context"
	"errors"
	"time"

	"github.com/rs/zerolog"

	"github.com/minik8s/minik8s/api"
	"github.com/minik8s/minik8s/controllers/controllerutil"
	"github.com/minik8s/minik8s/events"
	"github.com/minik8s/minik8s/informer"
)

// ReasonRoleNotFound is the reason of the event on a binding whose role
// is missing.
const ReasonRoleNotFound = "RoleNotFound"

// Deps are the controller's informers and its event recorder.
type Deps struct {
	Roles               *informer.Informer[*api.Role]
	ClusterRoles        *informer.Informer[*api.ClusterRole]
	RoleBindings        *informer.Informer[*api.RoleBinding]
	ClusterRoleBindings *informer.Informer[*api.ClusterRoleBinding]
	Events              *events.Recorder
}

// roleGrace is how old a binding must be before its missing role is
// reported: time for the role's watch to deliver a role created with it.
const roleGrace = 2 * time.Second

// Controller is the binding check; see the package doc.
type Controller struct {
	deps Deps
	log  zerolog.Logger
	loop controllerutil.Loop
}

// New returns a controller. It registers its handlers on the informers;
// it starts nothing.
func New(deps Deps, log zerolog.Logger) (*Controller, error) {
	if deps.Roles == nil || deps.ClusterRoles == nil || deps.RoleBindings == nil || deps.ClusterRoleBindings == nil || deps.Events == nil {
		return nil, errors.New("rolebinding controller: informers and events are required")
	}
	c := &Controller{deps: deps, log: log}
	c.loop = controllerutil.Loop{Name: "rolebinding controller", Log: log, Sync: c.sync,
		HasSynced: []func() bool{deps.Roles.HasSynced, deps.ClusterRoles.HasSynced, deps.RoleBindings.HasSynced, deps.ClusterRoleBindings.HasSynced}}
	deps.RoleBindings.AddHandler(informer.HandlerFuncs[*api.RoleBinding]{
		AddFunc: func(b *api.RoleBinding) { c.loop.Add(informer.KeyOf(b)) },
	})
	deps.ClusterRoleBindings.AddHandler(informer.HandlerFuncs[*api.ClusterRoleBinding]{
		AddFunc: func(b *api.ClusterRoleBinding) { c.loop.Add(informer.KeyOf(b)) },
	})
	deps.Roles.AddHandler(informer.HandlerFuncs[*api.Role]{
		DeleteFunc: func(r *api.Role) {
			for _, b := range deps.RoleBindings.List() {
				if b.Namespace == r.Namespace && b.RoleRef.Kind == "Role" && b.RoleRef.Name == r.Name {
					c.loop.Add(informer.KeyOf(b))
				}
			}
		},
	})
	deps.ClusterRoles.AddHandler(informer.HandlerFuncs[*api.ClusterRole]{
		DeleteFunc: func(r *api.ClusterRole) {
			for _, b := range deps.RoleBindings.List() {
				if b.RoleRef.Kind == "ClusterRole" && b.RoleRef.Name == r.Name {
					c.loop.Add(informer.KeyOf(b))
				}
			}
			for _, b := range deps.ClusterRoleBindings.List() {
				if b.RoleRef.Name == r.Name {
					c.loop.Add(informer.KeyOf(b))
				}
			}
		},
	})
	return c, nil
}

// Run waits for the informers to sync, then runs workers until ctx ends.
// It returns nil then.
func (c *Controller) Run(ctx context.Context, workers int) error { return c.loop.Run(ctx, workers) }

// sync records the event on binding key if its role is missing.
func (c *Controller) sync(_ context.Context, key informer.Key) (time.Duration, error) {
	var ref api.ObjectReference
	var roleRef api.RoleRef
	var created time.Time
	if key.Namespace != "" {
		b, ok := c.deps.RoleBindings.Get(key)
		if !ok {
			return 0, nil
		}
		ref, roleRef, created = events.Ref(api.RBACGroup+"/v1", "RoleBinding", b), b.RoleRef, b.CreationTimestamp.Time
	} else {
		b, ok := c.deps.ClusterRoleBindings.Get(key)
		if !ok {
			return 0, nil
		}
		ref, roleRef, created = events.Ref(api.RBACGroup+"/v1", "ClusterRoleBinding", b), b.RoleRef, b.CreationTimestamp.Time
	}
	var found bool
	switch roleRef.Kind {
	case "Role":
		_, found = c.deps.Roles.Get(informer.Key{Namespace: key.Namespace, Name: roleRef.Name})
	case "ClusterRole":
		_, found = c.deps.ClusterRoles.Get(informer.Key{Name: roleRef.Name})
	}
	if !found {
		// The role may exist and not have reached its informer yet: the
		// bindings' and the roles' watches are separate streams, and a
		// manifest that creates a role and its binding together (kubectl
		// apply, Helm) races them. A young binding is looked at again once
		// it is roleGrace old; only then does a missing role get the event.
		if age := time.Since(created); age < roleGrace {
			return roleGrace - age, nil
		}
		c.deps.Events.Eventf(ref, api.EventTypeWarning, ReasonRoleNotFound,
			"%s.%s %q not found: this binding grants nothing until it exists", lower(roleRef.Kind), api.RBACGroup, roleRef.Name)
	}
	return 0, nil
}

func lower(kind string) string {
	if kind == "ClusterRole" {
		return "clusterrole"
	}
	return "role"
}
