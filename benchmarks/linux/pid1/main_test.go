package main

import (
	"slices"
	"testing"
)

// configJSON is what benchmarks/linux writes (its TestTestConfigJSON
// checks the same text).
const configJSON = `{"path":"/bin/os.test","args":["os.test","-test.short","-test.v"],"dir":"/usr/local/go/src/os","env":[]}`

func TestReadTestConfig(t *testing.T) {
	c, err := readTestConfig([]byte(configJSON))
	if err != nil {
		t.Fatal(err)
	}
	if c.Path != "/bin/os.test" || c.Dir != "/usr/local/go/src/os" || !slices.Equal(c.Args, []string{"os.test", "-test.short", "-test.v"}) ||
		c.Env == nil || len(c.Env) != 0 {
		t.Errorf("%+v", c)
	}
	// No env: still an empty environment, not init's.
	c, err = readTestConfig([]byte(`{"path":"/bin/x.test","args":["x.test"],"dir":"/src/x"}`))
	if err != nil || c.Env == nil {
		t.Errorf("%+v, %v", c, err)
	}
	for _, bad := range []string{
		`{`,
		`{"path":"bin/x.test","args":["x.test"],"dir":"/src/x"}`,
		`{"path":"/bin/x.test","args":[],"dir":"/src/x"}`,
		`{"path":"/bin/x.test","args":["x.test"],"dir":"src"}`,
	} {
		if _, err := readTestConfig([]byte(bad)); err == nil {
			t.Errorf("%s accepted", bad)
		}
	}
}
