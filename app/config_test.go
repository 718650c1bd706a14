package app

import (
	"os"

	"go.yaml.in/yaml/v3"
	"reflect"
	"testing"
)

// config.yaml documents every setting with its default: loading it over
// the defaults must change nothing.
func TestConfigYAMLIsTheDefaults(t *testing.T) {
	cfg := Default()
	if err := cfg.LoadFile("../config.yaml"); err != nil {
		t.Fatal(err)
	}
	if want := Default(); !reflect.DeepEqual(cfg, want) {
		t.Fatalf("config.yaml differs from the defaults:\n got %+v\nwant %+v", cfg, want)
	}
}

func TestConfigValidate(t *testing.T) {
	for _, tc := range []struct {
		name string
		mod  func(*Config)
		ok   bool
	}{
		{"defaults", func(*Config) {}, true},
		{"postgres", func(c *Config) { c.Store = "postgres://u:p@h:5432/db" }, true},
		{"bad store", func(c *Config) { c.Store = "mysql://x" }, false},
		{"bad redis", func(c *Config) { c.Redis = "localhost:6379" }, false},
		{"bad listen", func(c *Config) { c.APIServer.Listen = "6443" }, false},
		{"bad level", func(c *Config) { c.Log.Level = "loud" }, false},
		{"bad format", func(c *Config) { c.Log.Format = "xml" }, false},
		{"empty data dir", func(c *Config) { c.DataDir = "" }, false},
		{"no GC headroom bound", func(c *Config) { c.GC.MaxHeadroomBytes = 0 }, true},
		{"negative GC headroom", func(c *Config) { c.GC.MaxHeadroomBytes = -1 }, false},
		{"no GC headroom floor", func(c *Config) { c.GC.MinHeadroomBytes = 0 }, true},
		{"negative GC headroom floor", func(c *Config) { c.GC.MinHeadroomBytes = -1 }, false},
		{"GC headroom floor above its bound", func(c *Config) { c.GC.MinHeadroomBytes = c.GC.MaxHeadroomBytes + 1 }, false},
		{"GC headroom floor without a bound", func(c *Config) { c.GC.MaxHeadroomBytes, c.GC.MinHeadroomBytes = 0, 1<<40 }, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := Default()
			tc.mod(&c)
			if err := c.Validate(); (err == nil) != tc.ok {
				t.Fatalf("Validate() = %v, want ok=%v", err, tc.ok)
			}
		})
	}
}

func TestConfigRejectsUnknownKeys(t *testing.T) {
	path := t.TempDir() + "/c.yaml"
	writeFile(t, path, "apiserver:\n  lisen: 1.2.3.4:5\n")
	c := Default()
	if err := c.LoadFile(path); err == nil {
		t.Fatal("a misspelt key was accepted")
	}
}

// Every setting has an entry in config.yaml: the keys of config.yaml are
// exactly the keys of the defaults.
func TestConfigYAMLDocumentsEverySetting(t *testing.T) {
	b, err := yaml.Marshal(Default())
	if err != nil {
		t.Fatal(err)
	}
	var want, got map[string]any
	if err := yaml.Unmarshal(b, &want); err != nil {
		t.Fatal(err)
	}
	doc, err := os.ReadFile("../config.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if err := yaml.Unmarshal(doc, &got); err != nil {
		t.Fatal(err)
	}
	wantKeys, gotKeys := keyPaths("", want), keyPaths("", got)
	for k := range wantKeys {
		if !gotKeys[k] {
			t.Errorf("config.yaml does not document %s", k)
		}
	}
	for k := range gotKeys {
		if !wantKeys[k] {
			t.Errorf("config.yaml has %s, which is not a setting", k)
		}
	}
}

func keyPaths(prefix string, m map[string]any) map[string]bool {
	out := map[string]bool{}
	for k, v := range m {
		p := k
		if prefix != "" {
			p = prefix + "." + k
		}
		if sub, ok := v.(map[string]any); ok && len(sub) > 0 {
			for sk := range keyPaths(p, sub) {
				out[sk] = true
			}
			continue
		}
		out[p] = true
	}
	return out
}
