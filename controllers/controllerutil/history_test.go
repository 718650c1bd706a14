package controllerutil

import (
	"context"
	"fmt"
	"testing"

	"github.com/minik8s/minik8s/api"
	"github.com/minik8s/minik8s/client"
)

// fakeRevisions is a RevisionClient over a map, answering AlreadyExists
// as the API server does.
type fakeRevisions struct {
	objs    map[string]*api.ControllerRevision
	deleted []string
}

func (f *fakeRevisions) CreateControllerRevision(_ context.Context, cr *api.ControllerRevision) (*api.ControllerRevision, error) {
	if _, ok := f.objs[cr.Name]; ok {
		return nil, &client.StatusError{Status: api.Status{Code: 409, Reason: api.StatusReasonAlreadyExists}}
	}
	c := api.DeepCopy(cr)
	c.UID = "uid-" + cr.Name
	f.objs[cr.Name] = c
	return c, nil
}

func (f *fakeRevisions) GetControllerRevision(_ context.Context, _, name string) (*api.ControllerRevision, error) {
	return api.DeepCopy(f.objs[name]), nil
}

func (f *fakeRevisions) UpdateControllerRevision(_ context.Context, cr *api.ControllerRevision) (*api.ControllerRevision, error) {
	f.objs[cr.Name] = api.DeepCopy(cr)
	return cr, nil
}

func (f *fakeRevisions) DeleteControllerRevision(_ context.Context, _, name, _ string) error {
	delete(f.objs, name)
	f.deleted = append(f.deleted, name)
	return nil
}

func (f *fakeRevisions) PatchControllerRevision(context.Context, string, string, []byte) error {
	return nil
}

func template(image string) *api.PodTemplateSpec {
	return &api.PodTemplateSpec{
		ObjectMeta: api.ObjectMeta{Labels: map[string]string{"app": "a"}},
		Spec:       api.PodSpec{Containers: []api.Container{{Name: "c", Image: image}}},
	}
}

func TestTemplatePatchRoundTrip(t *testing.T) {
	data := TemplatePatch(template("nginx:1"))
	// As kubectl encodes it to compare (rollout undo's "skipped rollback").
	want := `{"spec":{"template":{"$patch":"replace","metadata":{"creationTimestamp":null,"labels":{"app":"a"}},"spec":{"containers":[{"image":"nginx:1","name":"c","resources":{}}]}}}}`
	if string(data) != want {
		t.Fatalf("patch %s\nwant  %s", data, want)
	}
	got, err := TemplateOf(&api.ControllerRevision{Data: data})
	if err != nil || got.Spec.Containers[0].Image != "nginx:1" || got.Labels["app"] != "a" {
		t.Fatalf("TemplateOf: %+v, %v", got, err)
	}
}

func TestHistoryUpdate(t *testing.T) {
	ctx := context.Background()
	f := &fakeRevisions{objs: map[string]*api.ControllerRevision{}}
	h := History{Client: f, OwnerAPIVersion: "apps/v1", OwnerKind: "DaemonSet"}
	owner := &api.ObjectMeta{Name: "ds", Namespace: "ns", UID: "owner"}
	var revs []*api.ControllerRevision
	var cc int32
	update := func(image string) *api.ControllerRevision {
		t.Helper()
		r, err := h.Update(ctx, owner, map[string]string{"app": "a"}, TemplatePatch(template(image)), revs, &cc)
		if err != nil {
			t.Fatal(err)
		}
		revs = nil
		for _, x := range f.objs {
			revs = append(revs, x)
		}
		SortRevisions(revs)
		return r
	}
	r1 := update("v1")
	if r1.Revision != 1 || r1.Labels[ControllerRevisionHashLabel] == "" || r1.Name != "ds-"+r1.Labels[ControllerRevisionHashLabel] ||
		!api.IsControlledBy(&r1.ObjectMeta, owner) {
		t.Fatalf("first revision %+v", r1.ObjectMeta)
	}
	if again := update("v1"); again.Name != r1.Name || again.Revision != 1 || len(f.objs) != 1 {
		t.Fatalf("the same template made revision %s/%d (%d revisions)", again.Name, again.Revision, len(f.objs))
	}
	r2 := update("v2")
	if r2.Revision != 2 || r2.Name == r1.Name {
		t.Fatalf("second revision %s/%d", r2.Name, r2.Revision)
	}
	// A rollback renumbers the old revision as the newest.
	if back := update("v1"); back.Name != r1.Name || back.Revision != 3 {
		t.Fatalf("rollback: %s/%d, want %s/3", back.Name, back.Revision, r1.Name)
	}
	// A name taken by other data raises the collision count.
	data := TemplatePatch(template("v9"))
	taken := RevisionName("ds", HashBytes(data, &cc))
	f.objs[taken] = &api.ControllerRevision{ObjectMeta: api.ObjectMeta{Name: taken, Namespace: "ns"}, Data: []byte(`{}`)}
	r, err := h.Update(ctx, owner, nil, data, revs, &cc)
	if err != nil || cc != 1 || r.Name == taken {
		t.Fatalf("collision: %v, count %d, name %s", err, cc, r.Name)
	}

	// Truncate keeps the live revisions and the newest unused ones.
	revs = nil
	for _, x := range f.objs {
		revs = append(revs, x)
	}
	SortRevisions(revs)
	live := map[string]bool{r.Name: true}
	if err := h.Truncate(ctx, revs, func(x *api.ControllerRevision) bool { return live[x.Name] }, 1); err != nil {
		t.Fatal(err)
	}
	if len(f.objs) != 2 || f.objs[r.Name] == nil {
		names := fmt.Sprint(f.deleted)
		t.Fatalf("after truncating to 1 unused: %d revisions left (deleted %s)", len(f.objs), names)
	}
}
