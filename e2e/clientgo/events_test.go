package clientgo

import (
	"context"
	"fmt"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	eventsv1 "k8s.io/api/events/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/kubernetes/scheme"
	"k8s.io/client-go/rest"
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

// TestEventsV1Protobuf creates an events.k8s.io/v1 Event with a protobuf
// body, as kube-scheduler's client sends it, and reads it back through
// core/v1: the fields arrive by Kubernetes' protobuf field numbers.
func TestEventsV1Protobuf(t *testing.T) {
	ns := newNamespace(t)
	ctx := context.Background()
	cfg := rest.CopyConfig(cluster.config)
	cfg.ContentType = "application/vnd.kubernetes.protobuf"
	cfg.AcceptContentTypes = "application/vnd.kubernetes.protobuf,application/json"
	now := metav1.NewMicroTime(time.Now().Truncate(time.Microsecond))
	_, err := kubernetes.NewForConfigOrDie(cfg).EventsV1().Events(ns).Create(ctx, &eventsv1.Event{
		ObjectMeta: metav1.ObjectMeta{Name: "pb"}, EventTime: now,
		ReportingController: "example.com/pb", ReportingInstance: "pb-1", Action: "Bind", Reason: "Scheduled",
		Type: corev1.EventTypeNormal, Note: "bound", Regarding: corev1.ObjectReference{Kind: "Pod", Name: "p", Namespace: ns},
		Related: &corev1.ObjectReference{Kind: "Node", Name: "n"},
		Series:  &eventsv1.EventSeries{Count: 2, LastObservedTime: now},
	}, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	e, err := cluster.client.CoreV1().Events(ns).Get(ctx, "pb", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if e.Message != "bound" || e.InvolvedObject.Name != "p" || e.Related == nil || e.Related.Name != "n" ||
		e.ReportingController != "example.com/pb" || e.ReportingInstance != "pb-1" || e.Action != "Bind" ||
		e.Reason != "Scheduled" || !e.EventTime.Equal(&now) || e.Series == nil || e.Series.Count != 2 {
		t.Errorf("core/v1 event %+v", e)
	}
}
