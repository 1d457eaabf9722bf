package main

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
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

// diskJSON is what benchmarks/linux writes (its TestDiskInitramfs checks
// the same text).
const diskJSON = `{"modules":["/lib/modules/virtio_ring.ko","/lib/modules/virtio_blk.ko"],"devices":["/dev/vda","/dev/vdb"],` +
	`"mounts":[{"dev":"/dev/vda","dir":"/mnt","fstype":"ext4"},{"dev":"/dev/vdb","dir":"/mnt1","fstype":"ext4"}]}`

func TestReadDiskConfig(t *testing.T) {
	c, err := readDiskConfig([]byte(diskJSON))
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(c.Modules, []string{"/lib/modules/virtio_ring.ko", "/lib/modules/virtio_blk.ko"}) || !slices.Equal(c.Devices, []string{"/dev/vda", "/dev/vdb"}) ||
		len(c.Mounts) != 2 || c.Mounts[1] != (mount{"/dev/vdb", "/mnt1", "ext4"}) {
		t.Errorf("%+v", c)
	}
	for _, bad := range []string{
		`{`,
		`{"modules":["virtio.ko"]}`,
		`{"devices":["vda"]}`,
		`{"mounts":[{"dev":"/dev/vda","dir":"mnt","fstype":"ext4"}]}`,
		`{"mounts":[{"dev":"/dev/vda","dir":"/mnt"}]}`,
	} {
		if _, err := readDiskConfig([]byte(bad)); err == nil {
			t.Errorf("%s accepted", bad)
		}
	}
}

func TestWaitFor(t *testing.T) {
	p := filepath.Join(t.TempDir(), "vda")
	go func() {
		time.Sleep(30 * time.Millisecond)
		os.WriteFile(p, nil, 0o644)
	}()
	if err := waitFor(p, 5*time.Second); err != nil {
		t.Error(err)
	}
	if err := waitFor(p+"x", 20*time.Millisecond); err == nil || !strings.Contains(err.Error(), "did not appear within 20ms") {
		t.Errorf("%v", err)
	}
}
