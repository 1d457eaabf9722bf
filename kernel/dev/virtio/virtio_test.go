package virtio_test

import (
	"encoding/binary"
	"errors"
	"math/rand/v2"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"k42/kernel/dev/pci"
	"k42/kernel/dev/pci/pcitest"
	"k42/kernel/dev/virtio"
	"k42/kernel/dev/virtio/virtiotest"
)

const (
	featureIndirect = 1 << 28 // a transport feature this package does not implement
	featureDev0     = 1 << 0
	featureDev3     = 1 << 3
)

func newDevice(t *testing.T, opt virtiotest.Options) (*virtiotest.Device, *virtio.Device) {
	t.Helper()
	if opt.Features == 0 {
		opt.Features = virtio.FeatureVersion1 | featureIndirect | featureDev0 | featureDev3
	}
	if opt.QueueSizes == nil {
		opt.QueueSizes = []int{16}
	}
	fake := virtiotest.New(virtiotest.NewMemory(1<<20), opt)
	t.Cleanup(func() { assert.Empty(t, fake.Errs(), "driver protocol errors") })
	return fake, &virtio.Device{}
}

// started is a device through Init, SetupQueue(0) and Ready.
func started(t *testing.T, opt virtiotest.Options) (*virtiotest.Device, *virtio.Device, *virtio.Queue) {
	t.Helper()
	fake, d := newDevice(t, opt)
	_, err := d.Init(fake.Caps(), featureDev0)
	require.NoError(t, err)
	q, err := d.SetupQueue(0, 0, fake.Mem, virtio.NoVector)
	require.NoError(t, err)
	d.Ready()
	return fake, d, q
}

func TestFindCaps(t *testing.T) {
	fake, _ := newDevice(t, virtiotest.Options{Config: make([]byte, 24), MSIXVectors: 2})
	cfg, bars := fake.PCI(0x8000_0000)
	f := &pci.Function{Dev: 1, Config: cfg}
	caps, err := virtio.FindCaps(f, bars, fake.MapBAR)
	require.NoError(t, err)
	assert.Equal(t, fake.Caps(), caps)

	_, err = virtio.FindCaps(f, nil, fake.MapBAR)
	assert.ErrorContains(t, err, "common capability at 0x60 names BAR 4, which is not an assigned memory BAR")
	small := []pci.BAR{{Index: 4, Size: 0x2000, Mem64: true}}
	_, err = virtio.FindCaps(f, small, fake.MapBAR)
	assert.ErrorContains(t, err, "notify region [0x3000, +0x1000) lies outside BAR 4 of 0x2000 bytes")

	plain := pcitest.New(0x1af4, 0x1042, 0, 1)
	plain.AddCap(pci.CapMSIX, make([]byte, 10))
	_, err = virtio.FindCaps(&pci.Function{Config: plain}, bars, fake.MapBAR)
	assert.ErrorContains(t, err, "pci 00.0 has no common capability: not a virtio 1.x PCI device")
}

func TestInitNegotiates(t *testing.T) {
	fake, d := newDevice(t, virtiotest.Options{})
	got, err := d.Init(fake.Caps(), featureDev0|featureIndirect|1<<5)
	require.NoError(t, err)
	assert.EqualValues(t, virtio.FeatureVersion1|featureDev0, got, "offered and wanted, less the unimplemented transport bit, plus VERSION_1")
	assert.Equal(t, got, fake.DriverFeatures())
	assert.Equal(t, got, d.Features())
	assert.EqualValues(t, virtio.StatusAcknowledge|virtio.StatusDriver|virtio.StatusFeaturesOK, fake.Status())
	d.Ready()
	assert.NotZero(t, fake.Status()&virtio.StatusDriverOK)
	require.NoError(t, d.Reset())
	assert.Zero(t, fake.Status())
}

func TestInitRefusesLegacyDevice(t *testing.T) {
	fake, d := newDevice(t, virtiotest.Options{Features: featureDev0})
	_, err := d.Init(fake.Caps(), featureDev0)
	assert.ErrorIs(t, err, virtio.ErrNotModern)
	assert.ErrorContains(t, err, "VIRTIO_F_VERSION_1 (feature bit 32)")
	assert.NotZero(t, fake.Status()&virtio.StatusFailed, "the driver gave up")
	_, err = d.SetupQueue(0, 0, fake.Mem, virtio.NoVector)
	assert.ErrorContains(t, err, "before a successful Init")
}

func TestInitSeesFeaturesRefused(t *testing.T) {
	fake, d := newDevice(t, virtiotest.Options{RefuseFeatures: true})
	_, err := d.Init(fake.Caps(), featureDev0)
	assert.ErrorContains(t, err, "device refused features 0x100000001")
	assert.ErrorContains(t, err, "FEATURES_OK reads back clear")
	assert.NotZero(t, fake.Status()&virtio.StatusFailed)
}

func TestInitBoundsReset(t *testing.T) {
	defer virtio.SetResetTimeout(20 * time.Millisecond)()
	fake, d := newDevice(t, virtiotest.Options{StuckReset: true})
	fake.Caps().Common.Write8(0x14, virtio.StatusAcknowledge)
	start := time.Now()
	_, err := d.Init(fake.Caps(), 0)
	assert.ErrorContains(t, err, "device status still reads 0x1 20ms after reset")
	assert.Less(t, time.Since(start), time.Second)
}

func TestSetupQueue(t *testing.T) {
	fake, d := newDevice(t, virtiotest.Options{QueueSizes: []int{100, 64, 0}, MSIXVectors: 2})
	_, err := d.Init(fake.Caps(), 0)
	require.NoError(t, err)
	q, err := d.SetupQueue(0, 0, fake.Mem, 1)
	require.NoError(t, err)
	assert.Equal(t, 64, q.Size(), "a power of two")
	assert.Equal(t, 64, fake.QueueSize(0))
	q, err = d.SetupQueue(1, 8, fake.Mem, virtio.NoVector)
	require.NoError(t, err)
	assert.Equal(t, 8, q.Size())
	_, err = d.SetupQueue(1, 8, fake.Mem, virtio.NoVector)
	assert.ErrorContains(t, err, "queue 1 is already enabled")
	_, err = d.SetupQueue(2, 8, fake.Mem, virtio.NoVector)
	assert.ErrorContains(t, err, "queue 2 is not available (size 0)")
	_, err = d.SetupQueue(3, 8, fake.Mem, virtio.NoVector)
	assert.ErrorContains(t, err, "queue 3 does not exist (the device has 3)")

	require.NoError(t, d.ConfigMSIX(0))
	assert.ErrorContains(t, d.ConfigMSIX(5), "device took config MSI-X vector 5 as 0xffff")
}

func TestSetupQueueRefusesVector(t *testing.T) {
	fake, d := newDevice(t, virtiotest.Options{MSIXVectors: 1})
	_, err := d.Init(fake.Caps(), 0)
	require.NoError(t, err)
	_, err = d.SetupQueue(0, 0, fake.Mem, 3)
	assert.ErrorContains(t, err, "device took queue 0's MSI-X vector 3 as 0xffff")
}

func TestReadConfigRetriesAcrossGenerations(t *testing.T) {
	cfg := binary.LittleEndian.AppendUint64(nil, 0x1122334455667788)
	fake, d := newDevice(t, virtiotest.Options{Config: cfg})
	_, err := d.Init(fake.Caps(), 0)
	require.NoError(t, err)
	read := func(r virtio.Regs) (v uint64) {
		return uint64(r.Read32(0)) | uint64(r.Read32(4))<<32
	}
	var v uint64
	fake.ChurnConfig(5)
	require.NoError(t, d.ReadConfig(func(r virtio.Regs) { v = read(r) }))
	assert.EqualValues(t, 0x1122334455667788, v)
	fake.ChurnConfig(1 << 20)
	assert.ErrorContains(t, d.ReadConfig(func(r virtio.Regs) { v = read(r) }), "changed under each of 100 reads")
}

func TestQueueAddKickComplete(t *testing.T) {
	fake, _, q := started(t, virtiotest.Options{})
	segs := []virtio.Seg{{Addr: 0x1000, Len: 16}, {Addr: 0x2000, Len: 512, DeviceWrites: true}, {Addr: 0x3000, Len: 1, DeviceWrites: true}}
	head, err := q.Add(segs, "req")
	require.NoError(t, err)
	assert.Empty(t, fake.Pending(0), "nothing before the kick")
	require.NoError(t, q.Kick())
	assert.Equal(t, 1, fake.Notifies(0))
	chains := fake.Pending(0)
	require.Len(t, chains, 1)
	assert.Equal(t, virtiotest.Chain{Queue: 0, Head: head, Segs: segs}, chains[0])
	assert.Equal(t, 1, q.InFlight())

	_, ok, err := q.Next()
	require.NoError(t, err)
	assert.False(t, ok, "not completed yet")
	fake.Complete(0, uint32(head), 513)
	c, ok, err := q.Next()
	require.NoError(t, err)
	require.True(t, ok)
	assert.Equal(t, virtio.Completion{Token: "req", Len: 513, Head: head}, c)
	assert.Zero(t, q.InFlight())
}

func TestQueueRefusesBadChains(t *testing.T) {
	_, _, q := started(t, virtiotest.Options{})
	_, err := q.Add(nil, nil)
	assert.ErrorContains(t, err, "a chain of 0 segments")
	_, err = q.Add([]virtio.Seg{{Addr: 1, Len: 1, DeviceWrites: true}, {Addr: 2, Len: 1}}, nil)
	assert.ErrorContains(t, err, "segment 1 is device-readable after a device-writable one")
	_, err = q.Add([]virtio.Seg{{Addr: 1}}, nil)
	assert.ErrorContains(t, err, "segment 0 is empty")
}

func TestQueueFull(t *testing.T) {
	fake, _, q := started(t, virtiotest.Options{QueueSizes: []int{8}})
	three := []virtio.Seg{{Addr: 1, Len: 1}, {Addr: 2, Len: 2}, {Addr: 3, Len: 1, DeviceWrites: true}}
	a, err := q.Add(three, 1)
	require.NoError(t, err)
	_, err = q.Add(three, 2)
	require.NoError(t, err)
	_, err = q.Add(three, 3)
	assert.ErrorIs(t, err, virtio.ErrQueueFull, "2 descriptors left")
	_, err = q.Add(make([]virtio.Seg, 9), 3)
	assert.ErrorContains(t, err, "a chain of 9 segments (the queue has 8 descriptors)")
	assert.NotErrorIs(t, err, virtio.ErrQueueFull, "waiting would not help")

	require.NoError(t, q.Kick())
	fake.Complete(0, uint32(a), 0)
	c, ok, err := q.Next()
	require.NoError(t, err)
	require.True(t, ok)
	assert.Equal(t, 1, c.Token)
	_, err = q.Add(three, 3)
	assert.NoError(t, err, "the completed chain's descriptors are free again")
}

func TestQueueManyInFlightOutOfOrder(t *testing.T) {
	fake, _, q := started(t, virtiotest.Options{QueueSizes: []int{64}})
	rng := rand.New(rand.NewPCG(1, 2))
	next := 0
	// 2100 rounds of 31 chains move the 16-bit indexes past their wrap.
	for round := range 2100 {
		want := map[int]bool{}
		for range 31 {
			n := 1 + rng.IntN(2)
			segs := []virtio.Seg{{Addr: 0x100, Len: 16}}
			if n == 2 {
				segs = append(segs, virtio.Seg{Addr: 0x200, Len: uint32(next%500 + 1), DeviceWrites: true})
			}
			_, err := q.Add(segs, next)
			require.NoError(t, err)
			want[next] = true
			next++
		}
		require.NoError(t, q.Kick())
		chains := fake.Pending(0)
		require.Len(t, chains, 31)
		rng.Shuffle(len(chains), func(i, j int) { chains[i], chains[j] = chains[j], chains[i] })
		for _, c := range chains {
			fake.Complete(0, uint32(c.Head), c.Writable())
		}
		for range chains {
			c, ok, err := q.Next()
			require.NoError(t, err)
			require.True(t, ok)
			require.True(t, want[c.Token.(int)], "round %d: token %v", round, c.Token)
			delete(want, c.Token.(int))
		}
		require.Empty(t, want)
		require.Zero(t, q.InFlight())
	}
}

func TestQueueHonoursNoNotify(t *testing.T) {
	fake, _, q := started(t, virtiotest.Options{})
	fake.SetNoNotify(0, true)
	_, err := q.Add([]virtio.Seg{{Addr: 1, Len: 1}}, 1)
	require.NoError(t, err)
	require.NoError(t, q.Kick())
	assert.Zero(t, fake.Notifies(0))
	fake.SetNoNotify(0, false)
	_, err = q.Add([]virtio.Seg{{Addr: 1, Len: 1}}, 2)
	require.NoError(t, err)
	require.NoError(t, q.Kick())
	assert.Equal(t, 1, fake.Notifies(0))
	assert.Len(t, fake.Pending(0), 2, "the device sees both chains")
}

// TestQueueRejectsMisbehaviour: each bad used ring yields a DeviceError,
// breaks the queue for good and frees nothing.
func TestQueueRejectsMisbehaviour(t *testing.T) {
	for _, c := range []struct {
		name string
		bad  func(fake *virtiotest.Device, heads []uint16)
		want string
	}{
		{"id out of range", func(f *virtiotest.Device, _ []uint16) { f.Complete(0, 1000, 0) },
			"used entry 0 names descriptor 1000, beyond the queue's 16"},
		{"id not in flight", func(f *virtiotest.Device, _ []uint16) { f.Complete(0, f.NotHeld(0), 0) },
			"used entry 0 names descriptor 1, which heads no chain the device holds"},
		{"middle of a chain", func(f *virtiotest.Device, h []uint16) { f.Complete(0, uint32(h[0])+2, 0) },
			"names descriptor 2, which heads no chain"},
		{"not yet kicked", func(f *virtiotest.Device, h []uint16) { f.Complete(0, uint32(h[2]), 0) },
			"names descriptor 4, which heads no chain"},
		{"length too large", func(f *virtiotest.Device, h []uint16) { f.Complete(0, uint32(h[0]), 514) },
			"used entry 0 says the device wrote 514 bytes into chain 0, which has 513 device-writable bytes"},
		{"used.idx ahead", func(f *virtiotest.Device, _ []uint16) { f.SetUsedIdx(0, 3) },
			"used.idx moved to 3, 3 entries past 0, but the device holds only 2 chains (queue size 16)"},
		{"used.idx backwards", func(f *virtiotest.Device, _ []uint16) { f.SetUsedIdx(0, 0xffff) },
			"used.idx moved to 65535"},
	} {
		t.Run(c.name, func(t *testing.T) {
			fake, _, q := started(t, virtiotest.Options{})
			var heads []uint16
			for i, segs := range [][]virtio.Seg{
				{{Addr: 1, Len: 16}, {Addr: 2, Len: 512, DeviceWrites: true}, {Addr: 3, Len: 1, DeviceWrites: true}},
				{{Addr: 4, Len: 16}},
			} {
				h, err := q.Add(segs, i)
				require.NoError(t, err)
				heads = append(heads, h)
			}
			require.NoError(t, q.Kick())
			h, err := q.Add([]virtio.Seg{{Addr: 5, Len: 1}}, 2) // added, never kicked
			require.NoError(t, err)
			heads = append(heads, h)
			fake.Pending(0)

			c.bad(fake, heads)
			_, ok, err := q.Next()
			assert.False(t, ok)
			var de *virtio.DeviceError
			require.True(t, errors.As(err, &de), "%v", err)
			assert.ErrorIs(t, err, virtio.ErrBroken)
			assert.Equal(t, 0, de.Queue)
			assert.Contains(t, de.What, c.want)
			assert.Equal(t, 3, q.InFlight(), "nothing freed")
			_, err2 := q.Add([]virtio.Seg{{Addr: 1, Len: 1}}, nil)
			assert.Equal(t, err, err2, "the queue stays broken")
			assert.Equal(t, err, q.Kick())
			_, _, err2 = q.Next()
			assert.Equal(t, err, err2)
			assert.Equal(t, err, q.Broken())
		})
	}
}

func TestQueueRejectsDoubleCompletion(t *testing.T) {
	fake, _, q := started(t, virtiotest.Options{})
	a, err := q.Add([]virtio.Seg{{Addr: 1, Len: 1}}, "a")
	require.NoError(t, err)
	_, err = q.Add([]virtio.Seg{{Addr: 1, Len: 1}}, "b")
	require.NoError(t, err)
	require.NoError(t, q.Kick())
	fake.Complete(0, uint32(a), 0)
	fake.Complete(0, uint32(a), 0)
	c, ok, err := q.Next()
	require.NoError(t, err)
	require.True(t, ok)
	assert.Equal(t, "a", c.Token)
	_, _, err = q.Next()
	assert.ErrorContains(t, err, "virtio: queue 0: used entry 1 names descriptor 0, which heads no chain the device holds")
	assert.Equal(t, 1, q.InFlight(), "b is still the device's")
}

// TestQueueConcurrent: several goroutines add and kick while one drains,
// the device completing in its notify; -race checks the ring's locking.
func TestQueueConcurrent(t *testing.T) {
	var fake *virtiotest.Device
	fake, _, q := started(t, virtiotest.Options{QueueSizes: []int{32}, OnNotify: func(qi int, chains []virtiotest.Chain) {
		for i := len(chains) - 1; i >= 0; i-- {
			fake.Complete(qi, uint32(chains[i].Head), chains[i].Writable())
		}
	}})
	const workers, each = 8, 500
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			for i := 0; i < each; {
				_, err := q.Add([]virtio.Seg{{Addr: 1, Len: 8}, {Addr: 2, Len: 4, DeviceWrites: true}}, w*each+i)
				if errors.Is(err, virtio.ErrQueueFull) {
					time.Sleep(time.Microsecond)
					continue
				}
				if !assert.NoError(t, err) {
					return
				}
				assert.NoError(t, q.Kick())
				i++
			}
		})
	}
	seen := make(map[int]bool)
	for len(seen) < workers*each {
		c, ok, err := q.Next()
		require.NoError(t, err)
		if !ok {
			time.Sleep(time.Microsecond)
			continue
		}
		require.EqualValues(t, 4, c.Len)
		require.False(t, seen[c.Token.(int)])
		seen[c.Token.(int)] = true
	}
	wg.Wait()
	assert.Zero(t, q.InFlight())
}
