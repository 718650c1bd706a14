package protobuf_test

import (
	"regexp"
	"strings"
	"testing"

	"github.com/minik8s/minik8s/internal/testenv"
)

func TestExplore(t *testing.T) {
	s := testenv.StartAPIServer(t, testenv.Options{})
	re := regexp.MustCompile(`"(POST|PUT|PATCH|DELETE) https://[^"]*"|Content-Type: .*|Response Status: .*|Request Body: .*`)
	run := func(args ...string) {
		out, err := s.Kubectl(t, "", append(args, "-v=8")...)
		var keep []string
		for _, l := range strings.Split(out, "\n") {
			if m := re.FindString(l); m != "" && !strings.Contains(l, "GET") {
				if len(m) > 300 {
					m = m[:300]
				}
				keep = append(keep, m)
			}
		}
		t.Logf("### kubectl %s (err=%v)\n%s", strings.Join(args, " "), err != nil, strings.Join(keep, "\n"))
		if err != nil {
			lines := strings.Split(out, "\n")
			t.Logf("tail: %s", strings.Join(lines[max(0, len(lines)-4):], "\n"))
		}
	}
	run("create", "namespace", "foo")
	run("create", "deployment", "web", "--image=nginx:1.27", "--replicas=2")
	run("create", "deployment", "web2", "--image=nginx:1.27", "--port=8080")
	run("run", "pod1", "--image=nginx:1.27")
	run("scale", "deployment", "web", "--replicas=3")
	run("set", "image", "deployment/web", "nginx=nginx:1.28")
	run("rollout", "restart", "deployment/web")
	run("rollout", "undo", "deployment/web")
	run("label", "deployment", "web", "a=b")
	run("annotate", "deployment", "web", "a=b")
	s.Do(t, "POST", "/api/v1/nodes", `{"apiVersion":"v1","kind":"Node","metadata":{"name":"n1"}}`)
	run("cordon", "n1")
	run("drain", "n1", "--ignore-daemonsets", "--force", "--timeout=5s")
	run("delete", "deployment", "web2", "--cascade=orphan")
	run("delete", "namespace", "foo")
}
