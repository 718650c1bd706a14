package testsvc

import (
	"flag"
	"testing"
)

// recorder is a testing.TB that records a Fatalf or Skipf instead of
// stopping.
type recorder struct {
	testing.TB
	failed, skipped bool
}

func (r *recorder) Helper()               {}
func (r *recorder) Fatalf(string, ...any) { r.failed = true }
func (r *recorder) Skipf(string, ...any)  { r.skipped = true }

// setShort sets -test.short for the rest of t.
func setShort(t *testing.T, short bool) {
	was := testing.Short()
	v := "false"
	if short {
		v = "true"
	}
	if err := flag.Set("test.short", v); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if was {
			_ = flag.Set("test.short", "true")
		} else {
			_ = flag.Set("test.short", "false")
		}
	})
}

func TestRequire(t *testing.T) {
	tests := []struct {
		name                string
		value               string
		short               bool
		want                string
		wantFail, wantSkips bool
	}{
		{"unset fails", "", false, "", true, false},
		{"unset skips under -short", "", true, "", false, true},
		{"set", "redis://h:1", false, "redis://h:1", false, false},
		{"set is used under -short", "redis://h:1", true, "redis://h:1", false, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			setShort(t, tt.short)
			t.Setenv("MINIK8S_TEST_X", tt.value)
			r := &recorder{TB: t}
			got := Require(r, "MINIK8S_TEST_X")
			if got != tt.want || r.failed != tt.wantFail || r.skipped != tt.wantSkips {
				t.Errorf("Require = %q, failed %v, skipped %v; want %q, %v, %v",
					got, r.failed, r.skipped, tt.want, tt.wantFail, tt.wantSkips)
			}
		})
	}
}

func TestSlow(t *testing.T) {
	for _, short := range []bool{false, true} {
		setShort(t, short)
		r := &recorder{TB: t}
		Slow(r, "test")
		if r.skipped != short || r.failed {
			t.Errorf("-short=%v: skipped %v, failed %v", short, r.skipped, r.failed)
		}
	}
}
