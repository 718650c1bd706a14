package clientgo

import (
	"context"
	"fmt"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes/scheme"
	"k8s.io/client-go/tools/events"
)

// TestEventsV1Recorder records events with client-go's events package
// (tools/events, as kube-scheduler and newer controllers do), which
// writes events.k8s.io/v1: a create, then a patch of the series when the
// event repeats. The same objects read through core/v1, as kubectl get
// events reads them, and each version selects on its own field names.
func TestEventsV1Recorder(t *testing.T) {
	ns := newNamespace(t)
	ctx := context.Background()
	cs := cluster.client
	cm, err := cs.CoreV1().ConfigMaps(ns).Create(ctx, &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: "subject"}}, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	b := events.NewBroadcaster(&events.EventSinkImpl{Interface: cs.EventsV1()})
	stop := make(chan struct{})
	b.StartRecordingToSink(stop)
	t.Cleanup(func() { close(stop); b.Shutdown() })
	rec := b.NewRecorder(scheme.Scheme, "minik8s-e2e")

	// seriesCount is the series count of the one event about cm, read
	// through events.k8s.io/v1 (1 for a singleton).
	seriesCount := func(ctx context.Context) (int32, error) {
		l, err := cs.EventsV1().Events(ns).List(ctx, metav1.ListOptions{FieldSelector: "regarding.name=subject"})
		if err != nil {
			return 0, err
		}
		if len(l.Items) != 1 {
			return 0, fmt.Errorf("%d events about the config map", len(l.Items))
		}
		e := l.Items[0]
		if e.ReportingController != "minik8s-e2e" || e.Action != "Test" || e.Reason != "Tested" || e.Note != "note 1" ||
			e.Regarding.Kind != "ConfigMap" || e.Regarding.UID != cm.UID || e.EventTime.IsZero() {
			return 0, fmt.Errorf("event %+v", e)
		}
		if e.Series == nil {
			return 1, nil
		}
		return e.Series.Count, nil
	}
	rec.Eventf(cm, nil, corev1.EventTypeNormal, "Tested", "Test", "note %d", 1)
	eventually(t, 10*time.Second, "the event, through events.k8s.io/v1", func(ctx context.Context) error {
		_, err := seriesCount(ctx)
		return err
	})
	rec.Eventf(cm, nil, corev1.EventTypeNormal, "Tested", "Test", "note %d", 1)
	eventually(t, 10*time.Second, "the repeated event's series", func(ctx context.Context) error {
		n, err := seriesCount(ctx)
		if err == nil && n != 2 {
			err = fmt.Errorf("series count %d, want 2", n)
		}
		return err
	})

	l, err := cs.CoreV1().Events(ns).List(ctx, metav1.ListOptions{FieldSelector: "involvedObject.name=subject"})
	if err != nil {
		t.Fatal(err)
	}
	if len(l.Items) != 1 {
		t.Fatalf("core/v1 lists %d events about the config map", len(l.Items))
	}
	e := l.Items[0]
	if e.Message != "note 1" || e.InvolvedObject.UID != cm.UID || e.ReportingController != "minik8s-e2e" ||
		e.Series == nil || e.Series.Count != 2 || e.Type != corev1.EventTypeNormal {
		t.Errorf("core/v1 event %+v", e)
	}

	// Each version's own field names, as in Kubernetes.
	_, err = cs.EventsV1().Events(ns).List(ctx, metav1.ListOptions{FieldSelector: "involvedObject.name=subject"})
	if !apierrors.IsBadRequest(err) {
		t.Errorf("events.k8s.io/v1 with core/v1's field name: %v, want BadRequest", err)
	}
	_, err = cs.CoreV1().Events(ns).List(ctx, metav1.ListOptions{FieldSelector: "regarding.name=subject"})
	if !apierrors.IsBadRequest(err) {
		t.Errorf("core/v1 with events.k8s.io/v1's field name: %v, want BadRequest", err)
	}
}
