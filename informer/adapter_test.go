package informer

import (
	"testing"
	"time"

	"github.com/minik8s/minik8s/api"
	"github.com/minik8s/minik8s/client"
)

// The client's adapter is a ListWatch, and New infers the kind from it.
var _ ListWatch[*api.Pod] = (*client.ListWatcher[*api.Pod])(nil)

func TestNewFromClient(t *testing.T) {
	c, err := client.New(client.Config{Server: "http://127.0.0.1:1"})
	if err != nil {
		t.Fatal(err)
	}
	pods := New(client.ListWatch(c.Pods(""), client.ListOptions{FieldSelector: "spec.nodeName=n1"}), time.Minute, byNode)
	nodes := New(client.ListWatch(c.Nodes(), client.ListOptions{}), 0)
	if pods.HasSynced() || nodes.HasSynced() {
		t.Fatal("synced before Run")
	}
}
