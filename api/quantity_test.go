package api

import (
	"encoding/json"
	"errors"
	"math/rand/v2"
	"testing"
)

func TestParseQuantity(t *testing.T) {
	tests := []struct {
		in    string
		milli int64
		value int64
	}{
		{"0", 0, 0},
		// Zero at a huge scale: once computed 10^99999999 (76 s of CPU
		// for one field of one request), found by FuzzParseQuantity.
		{"0e99999999", 0, 0},
		{"100m", 100, 1},
		{"0.5", 500, 1},
		{"1", 1000, 1},
		{"1.5", 1500, 2},
		{".5", 500, 1},
		{"+2", 2000, 2},
		{"-1", -1000, -1},
		{"-1.5", -1500, -1},
		{"2k", 2_000_000, 2000},
		{"1M", 1_000_000_000, 1_000_000},
		{"1G", 1_000_000_000_000, 1_000_000_000},
		{"64Mi", 64 << 20 * 1000, 64 << 20},
		{"1Gi", 1 << 30 * 1000, 1 << 30},
		{"1.5Gi", 1610612736 * 1000, 1610612736},
		{"0.1Ki", 102400, 103},
		{"1e3", 1_000_000, 1000},
		{"1E3", 1_000_000, 1000},
		{"5e-1", 500, 1},
		{"9P", 9_000_000_000_000_000_000, 9_000_000_000_000_000},
		{"1n", 1, 1},
		{"1u", 1, 1},
		{"1500u", 2, 1},
		{"1e-999999999999", 1, 1},
	}
	for _, tt := range tests {
		q, err := ParseQuantity(tt.in)
		if err != nil {
			t.Errorf("ParseQuantity(%q): %v", tt.in, err)
			continue
		}
		if q.MilliValue() != tt.milli || q.Value() != tt.value {
			t.Errorf("ParseQuantity(%q) = %d milli, %d; want %d, %d", tt.in, q.MilliValue(), q.Value(), tt.milli, tt.value)
		}
		if q.String() != tt.in {
			t.Errorf("ParseQuantity(%q).String() = %q, want the original text", tt.in, q.String())
		}
	}
}

func TestParseQuantityErrors(t *testing.T) {
	tests := []struct {
		in   string
		want error
	}{
		{"", ErrFormatWrong},
		{"abc", ErrFormatWrong},
		{"-", ErrFormatWrong},
		{".", ErrFormatWrong},
		{"1.2.3", ErrFormatWrong},
		{"10Xi", ErrSuffix},
		{"1K", ErrSuffix},
		{"1e", ErrSuffix},
		{"1e3.5", ErrSuffix},
		{"1 ", ErrSuffix},
		{"1Mi1", ErrSuffix},
		{"10P", ErrQuantityTooLarge},
		{"1E", ErrQuantityTooLarge},
		{"9Ei", ErrQuantityTooLarge},
		{"1e999999999999", ErrQuantityTooLarge},
		{"12345678901234567890123456789012345678901", ErrQuantityTooLarge},
	}
	for _, tt := range tests {
		if _, err := ParseQuantity(tt.in); !errors.Is(err, tt.want) {
			t.Errorf("ParseQuantity(%q) error = %v, want %v", tt.in, err, tt.want)
		}
	}
}

func TestQuantityCanonical(t *testing.T) {
	tests := []struct {
		q    Quantity
		want string
	}{
		{Quantity{}, "0"},
		{NewMilliQuantity(500, DecimalSI), "500m"},
		{NewMilliQuantity(1000, DecimalSI), "1"},
		{NewMilliQuantity(1500, BinarySI), "1500m"},
		{NewQuantity(2000, DecimalSI), "2k"},
		{NewQuantity(1500, DecimalSI), "1500"},
		{NewQuantity(3_000_000_000, DecimalSI), "3G"},
		{NewQuantity(1000, BinarySI), "1k"}, // below 1024: DecimalSI, as Kubernetes
		{NewQuantity(1024, BinarySI), "1Ki"},
		{NewQuantity(1536, BinarySI), "1536"},
		{NewQuantity(64<<20, BinarySI), "64Mi"},
		{NewQuantity(-2048, BinarySI), "-2Ki"},
		{NewQuantity(5000, DecimalExponent), "5e3"},
		{NewQuantity(7, DecimalExponent), "7"},
		{NewMilliQuantity(1500, DecimalExponent), "1500e-3"},
	}
	for _, tt := range tests {
		if got := tt.q.String(); got != tt.want {
			t.Errorf("%#v.String() = %q, want %q", tt.q, got, tt.want)
		}
		back, err := ParseQuantity(tt.want)
		if err != nil || !back.Equal(tt.q) {
			t.Errorf("ParseQuantity(%q) = %v, %v; want value %d milli", tt.want, back.MilliValue(), err, tt.q.MilliValue())
		}
	}
}

func TestQuantityArithmetic(t *testing.T) {
	q := MustParse("1")
	q.Add(MustParse("500m"))
	if q.MilliValue() != 1500 || q.String() != "1500m" {
		t.Errorf("1 + 500m = %s (%d milli), want 1500m", q, q.MilliValue())
	}
	q.Sub(MustParse("1.5"))
	if !q.IsZero() || q.Sign() != 0 {
		t.Errorf("1500m - 1.5 = %s, want 0", q)
	}
	m := MustParse("1Gi")
	m.Add(MustParse("1Gi"))
	if m.String() != "2Gi" {
		t.Errorf("1Gi + 1Gi = %s, want 2Gi", m)
	}
	if MustParse("1Gi").Cmp(MustParse("1G")) != 1 || MustParse("1G").Cmp(MustParse("1Gi")) != -1 ||
		MustParse("1000m").Cmp(MustParse("1")) != 0 {
		t.Error("Cmp disagrees with the values")
	}
	var z Quantity
	z.Add(NewQuantity(1, BinarySI))
	if z.String() != "1" {
		t.Errorf("0 + 1 = %s", z)
	}
}

func TestQuantityJSON(t *testing.T) {
	var rl ResourceList
	if err := json.Unmarshal([]byte(`{"cpu":"250m","memory":"64Mi","pods":110,"x":1.5,"y":null}`), &rl); err != nil {
		t.Fatal(err)
	}
	want := map[ResourceName]int64{"cpu": 250, "memory": 64 << 20 * 1000, "pods": 110_000, "x": 1500, "y": 0}
	for k, w := range want {
		if got := rl[k].MilliValue(); got != w {
			t.Errorf("%s = %d milli, want %d", k, got, w)
		}
	}
	b, err := json.Marshal(ResourceList{"cpu": MustParse("0.5"), "memory": NewQuantity(1<<30, BinarySI), "pods": {}})
	if err != nil {
		t.Fatal(err)
	}
	if got := string(b); got != `{"cpu":"0.5","memory":"1Gi","pods":"0"}` {
		t.Errorf("marshal = %s", got)
	}
	for _, bad := range []string{`"abc"`, `true`, `"1.2.3"`} {
		var q Quantity
		if err := json.Unmarshal([]byte(bad), &q); err == nil {
			t.Errorf("unmarshal %s: no error", bad)
		}
	}
}

// TestSmallMilliMatchesBig: wherever the int64 arithmetic answers, it
// gives what the exact arithmetic gives, over random mantissas, signs and
// scales around the edges of its range.
func TestSmallMilliMatchesBig(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	answered := 0
	for range 200000 {
		mant := make([]byte, 1+rng.IntN(21))
		for i := range mant {
			mant[i] = byte('0' + rng.IntN(10))
		}
		neg := rng.IntN(2) == 0
		e := rng.IntN(45) - 22
		exp2 := []uint{0, 10, 20, 30, 40, 50, 60, 63, 64}[rng.IntN(9)]
		small, ok := smallMilli(mant, neg, e, exp2)
		if !ok {
			continue
		}
		answered++
		big, err := bigMilli(mant, neg, e, exp2)
		if err != nil || big != small {
			t.Fatalf("mant %s neg %v e %d exp2 %d: int64 arithmetic %d, exact %d (%v)", mant, neg, e, exp2, small, big, err)
		}
	}
	if answered < 20000 {
		t.Fatalf("the int64 arithmetic answered only %d times", answered)
	}
}

func BenchmarkParseQuantity(b *testing.B) {
	in := []string{"100m", "64Mi", "1", "250m", "2Gi", "0.5", "1e3"}
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		if _, err := ParseQuantity(in[i%len(in)]); err != nil {
			b.Fatal(err)
		}
	}
}
