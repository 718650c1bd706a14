package hub

import (
	"slices"
	"testing"

	"github.com/minik8s/minik8s/store"
)

func TestRing(t *testing.T) {
	tests := []struct {
		name   string
		size   int
		start  int64   // reset revision
		push   []int64 // revisions pushed
		after  int64
		want   []int64
		wantOK bool
	}{
		{name: "empty covers start", size: 4, start: 10, after: 10, want: []int64{}, wantOK: true},
		{name: "empty misses before start", size: 4, start: 10, after: 9},
		{name: "partial", size: 4, start: 10, push: []int64{11, 12}, after: 10, want: []int64{11, 12}, wantOK: true},
		{name: "middle", size: 4, start: 10, push: []int64{11, 12, 13}, after: 11, want: []int64{12, 13}, wantOK: true},
		{name: "newest", size: 4, start: 10, push: []int64{11, 12}, after: 12, want: []int64{}, wantOK: true},
		{name: "wrapped", size: 3, start: 0, push: []int64{1, 2, 3, 4, 5}, after: 2, want: []int64{3, 4, 5}, wantOK: true},
		{name: "evicted", size: 3, start: 0, push: []int64{1, 2, 3, 4, 5}, after: 1},
		{name: "revision holes", size: 3, start: 0, push: []int64{2, 5, 9}, after: 3, want: []int64{5, 9}, wantOK: true},
		{name: "holes evicted", size: 2, start: 0, push: []int64{2, 5, 9}, after: 3, want: []int64{5, 9}, wantOK: true},
		{name: "holes evicted too far", size: 2, start: 0, push: []int64{2, 5, 9}, after: 1},
		{name: "disabled", size: 0, start: 0, push: []int64{1, 2}, after: 2, want: []int64{}, wantOK: true},
		{name: "disabled misses", size: 0, start: 0, push: []int64{1, 2}, after: 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := newRing(tt.size)
			r.reset(tt.start)
			for _, rev := range tt.push {
				r.push(store.Change{Revision: rev})
			}
			got, ok := r.since(tt.after)
			if ok != tt.wantOK {
				t.Fatalf("since(%d) ok = %v, want %v", tt.after, ok, tt.wantOK)
			}
			revs := []int64{}
			for _, c := range got {
				revs = append(revs, c.Revision)
			}
			if ok && !slices.Equal(revs, tt.want) {
				t.Fatalf("since(%d) = %v, want %v", tt.after, revs, tt.want)
			}
		})
	}
}
