package apiserver

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"strconv"
	"time"

	"github.com/google/uuid"

	"github.com/minik8s/minik8s/apiserver/registry"
	"github.com/minik8s/minik8s/store"
)

// bootstrap creates the objects every cluster has (each kind's
// Bootstrap: the system namespaces, the system priority classes) that are
// missing, then the kubernetes Service, whose cluster IP and port depend
// on the configuration (addr is where this server listens). Several API
// servers may race here; the store lets exactly one create each.
func (s *Server) bootstrap(ctx context.Context, addr net.Addr) error {
	if err := s.bootstrapRBAC(ctx); err != nil {
		return err
	}
	for _, res := range registry.All() {
		for _, b := range res.Bootstrap {
			o := registry.DeepCopy(b).(map[string]any)
			o["apiVersion"], o["kind"] = res.GroupVersion(), res.Kind
			k := store.Key{Resource: res.StoreName(), Namespace: nestedString(o, "metadata", "namespace"), Name: nestedString(o, "metadata", "name")}
			if _, err := s.deps.Store.Get(ctx, k); err == nil {
				continue
			} else if !errors.Is(err, store.ErrNotFound) {
				return fmt.Errorf("bootstrap %s %s: %w", res.Name, k.Name, err)
			}
			uid := uuid.NewString()
			initMeta(o, time.Now(), uid)
			value, err := encodeStored(o)
			if err != nil {
				return err
			}
			if _, err := s.deps.Store.Create(ctx, &store.Record{Key: k, UID: uid, Value: value}); err != nil && !errors.Is(err, store.ErrAlreadyExists) {
				return fmt.Errorf("bootstrap %s %s: %w", res.Name, k.Name, err)
			}
		}
	}
	return s.bootstrapKubernetesService(ctx, addr)
}

// kubernetesService names the Service of the API server itself.
var kubernetesService = store.Key{Resource: "services", Namespace: "default", Name: "kubernetes"}

// bootstrapKubernetesService creates the kubernetes Service in default, as
// kube-apiserver's bootstrap controller does: the first address of the
// service range, port 443 (https) to the API server's port, no selector
// (its endpoints name the API servers). An existing one is left alone.
func (s *Server) bootstrapKubernetesService(ctx context.Context, addr net.Addr) error {
	if _, err := s.deps.Store.Get(ctx, kubernetesService); err == nil {
		return nil
	} else if !errors.Is(err, store.ErrNotFound) {
		return fmt.Errorf("bootstrap the kubernetes service: %w", err)
	}
	res, _ := registry.ByStoreName(kubernetesService.Resource)
	port := apiServerPort(addr)
	o := object{
		"apiVersion": res.GroupVersion(), "kind": res.Kind,
		"metadata": map[string]any{
			"name": kubernetesService.Name, "namespace": kubernetesService.Namespace,
			"labels": map[string]any{"component": "apiserver", "provider": "kubernetes"},
		},
		"spec": map[string]any{
			"type":      "ClusterIP",
			"clusterIP": s.svcAlloc.FirstIP().String(),
			"ports": []any{map[string]any{
				"name": "https", "protocol": "TCP", "port": json.Number("443"),
				"targetPort": json.Number(strconv.Itoa(port)),
			}},
			"sessionAffinity": "None",
		},
	}
	res.PrepareForCreate(o)
	uid := uuid.NewString()
	initMeta(o, time.Now(), uid)
	undo, err := s.allocate(ctx, res, o, nil, false)
	var se *statusError
	if errors.As(err, &se) {
		// Its address is taken: by the kubernetes Service another API
		// server is creating right now, or by a Service someone made
		// while it was deleted. Neither should stop this server.
		if _, gerr := s.deps.Store.Get(ctx, kubernetesService); gerr != nil {
			s.log.Warn().Err(err).Msg("cannot create the kubernetes service")
		}
		return nil
	}
	if err != nil {
		return fmt.Errorf("bootstrap the kubernetes service: %w", err)
	}
	value, err := encodeStored(o)
	if err == nil {
		_, err = s.deps.Store.Create(ctx, &store.Record{Key: kubernetesService, UID: uid, Value: value})
	}
	if err != nil {
		undo()
		if errors.Is(err, store.ErrAlreadyExists) {
			return nil // another API server made it
		}
		return fmt.Errorf("bootstrap the kubernetes service: %w", err)
	}
	return nil
}

// apiServerPort is the port of the API server's listen address (443 if
// it has none).
func apiServerPort(addr net.Addr) int {
	if a, ok := addr.(*net.TCPAddr); ok && a.Port != 0 {
		return a.Port
	}
	return 443
}
