package virtioblk_test

import (
	"bytes"
	"crypto/sha256"
	"errors"
	"math/rand/v2"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"k42/kernel/dev/virtio"
	"k42/kernel/dev/virtio/virtiotest"
	"k42/kernel/dev/virtioblk"
	"k42/mm/blockdev"
)

const diskBytes = 4 << 20

// open serves a disk of diskBytes through a fake device: Async devices
// are waited for (interrupts), the others polled.
func open(t *testing.T, o virtiotest.BlkOptions, timeout time.Duration) (*virtiotest.Blk, *virtioblk.Disk) {
	t.Helper()
	fake := virtiotest.NewBlk(make([]byte, diskBytes), o)
	t.Cleanup(fake.Close)
	cfg := virtioblk.Config{Caps: fake.Caps(), DMA: fake.Mem, MSIXVector: virtio.NoVector, Timeout: timeout, Name: "vda"}
	if o.Async {
		cfg.Wait = fake.Wait
	}
	disk, err := virtioblk.Open(cfg)
	require.NoError(t, err)
	t.Cleanup(func() {
		assert.NoError(t, disk.Close())
		assert.Empty(t, fake.Errs(), "driver protocol errors")
		assert.Empty(t, fake.Violations(), "malformed requests")
	})
	return fake, disk
}

// modes runs f against a polled synchronous device and an interrupting
// asynchronous, out-of-order one.
func modes(t *testing.T, f func(t *testing.T, async bool)) {
	t.Run("polled", func(t *testing.T) { f(t, false) })
	t.Run("async", func(t *testing.T) { f(t, true) })
}

func random(seed uint64, n int) []byte {
	p := make([]byte, n)
	r := rand.New(rand.NewPCG(seed, seed))
	for i := range p {
		p[i] = byte(r.Uint32())
	}
	return p
}

func TestOpenReadsConfig(t *testing.T) {
	fake, disk := open(t, virtiotest.BlkOptions{Features: virtiotest.BlkFFlush, ID: "k42-serial-0001"}, time.Second)
	assert.Equal(t, 512, disk.BlockSize())
	assert.EqualValues(t, diskBytes/512, disk.Blocks())
	assert.EqualValues(t, diskBytes, disk.Capacity())
	assert.Equal(t, "virtio-blk: 8192 sectors, 512-byte blocks, requests of up to 262144 bytes, 16 in flight, write cache (flush)", disk.Model())
	assert.Equal(t, "k42-serial-0001", disk.ID())
	assert.Equal(t, "k42-serial-0001", disk.ID(), "asked once")
	assert.Equal(t, 1, fake.Received(virtiotest.BlkGetID))
	assert.EqualValues(t, virtio.FeatureVersion1|virtioblk.FeatureFlush, fake.DriverFeatures())

	_, disk = open(t, virtiotest.BlkOptions{Features: virtiotest.BlkFBlkSize, BlkSize: 4096}, time.Second)
	assert.Equal(t, 4096, disk.BlockSize(), "blk_size rules")
	assert.EqualValues(t, diskBytes/4096, disk.Blocks())
}

func TestMSIX(t *testing.T) {
	fake := virtiotest.NewBlk(make([]byte, diskBytes), virtiotest.BlkOptions{Async: true, MSIXVectors: 1})
	defer fake.Close()
	disk, err := virtioblk.Open(virtioblk.Config{Caps: fake.Caps(), DMA: fake.Mem, Wait: fake.Wait, MSIXVector: 0, Name: "vdb"})
	require.NoError(t, err)
	assert.NoError(t, disk.WriteBlocks(1, random(3, 8192)))
	assert.NoError(t, disk.ReadBlocks(1, make([]byte, 8192)))
	require.NoError(t, disk.Close())
	assert.Empty(t, fake.Errs())

	_, err = virtioblk.Open(virtioblk.Config{Caps: fake.Caps(), DMA: fake.Mem, MSIXVector: 4, Name: "vdb"})
	assert.ErrorContains(t, err, "virtio-blk vdb: virtio: device took queue 0's MSI-X vector 4 as 0xffff")
}

func TestOpenRefusesBadConfig(t *testing.T) {
	for _, c := range []struct {
		o    virtiotest.BlkOptions
		want string
	}{
		{virtiotest.BlkOptions{Features: virtiotest.BlkFBlkSize, BlkSize: 1000},
			"virtio-blk vda: the device's block size 1000 is not a power of two from 512 to 262144"},
		{virtiotest.BlkOptions{Features: virtiotest.BlkFSizeMax | virtiotest.BlkFSegMax, SizeMax: 100, SegMax: 2},
			"the device's limits (size_max 100, seg_max 2, queue of 128) leave no room for one 512-byte block"},
	} {
		fake := virtiotest.NewBlk(make([]byte, diskBytes), c.o)
		_, err := virtioblk.Open(virtioblk.Config{Caps: fake.Caps(), DMA: fake.Mem, MSIXVector: virtio.NoVector, Name: "vda"})
		assert.ErrorContains(t, err, c.want)
		assert.NotZero(t, fake.Status()&virtio.StatusFailed)
		fake.Close()
	}
}

func TestReadsBackWhatItWrote(t *testing.T) {
	modes(t, func(t *testing.T, async bool) {
		for _, o := range []virtiotest.BlkOptions{
			{Async: async},
			{Async: async, Features: virtiotest.BlkFSizeMax | virtiotest.BlkFSegMax, SizeMax: 4096, SegMax: 3},
		} {
			fake, disk := open(t, o, time.Second)
			data := random(1, 300<<10+512)
			require.NoError(t, disk.WriteBlocks(7, data))
			got := make([]byte, len(data))
			require.NoError(t, disk.ReadBlocks(7, got))
			assert.Equal(t, sha256.Sum256(data), sha256.Sum256(got))
			assert.True(t, bytes.Equal(data, fake.Image()[7*512:7*512+len(data)]), "on the device")
			edge := make([]byte, 512)
			require.NoError(t, disk.ReadBlocks(disk.Blocks()-1, edge), "the last block")
			st := disk.Stats()
			assert.Equal(t, blockdev.Stats{Reads: 2, Writes: 1, BytesRead: int64(len(data) + 512), BytesWritten: int64(len(data))}, st)
			if o.SegMax == 3 {
				assert.Equal(t, (len(data)+12<<10-1)/(12<<10), fake.Received(virtiotest.BlkOut), "12 KiB requests")
			}
		}
	})
}

func TestRefusesRequestsOutsideTheDisk(t *testing.T) {
	_, disk := open(t, virtiotest.BlkOptions{}, time.Second)
	err := disk.ReadBlocks(disk.Blocks(), make([]byte, 512))
	assert.ErrorIs(t, err, blockdev.ErrRange)
	assert.ErrorContains(t, err, "virtio-blk vda: blockdev: request outside the device")
	assert.ErrorIs(t, disk.WriteBlocks(0, make([]byte, 100)), blockdev.ErrRange)
}

func TestConcurrentRequests(t *testing.T) {
	modes(t, func(t *testing.T, async bool) {
		fake, disk := open(t, virtiotest.BlkOptions{Async: async}, 2*time.Second)
		const workers, rounds, region = 8, 40, 64 // blocks per worker
		var wg sync.WaitGroup
		for w := range workers {
			wg.Go(func() {
				for r := range rounds {
					b := int64(w*region + r%16)
					data := random(uint64(w*1000+r), 512*(1+r%48))
					if !assert.NoError(t, disk.WriteBlocks(b, data)) {
						return
					}
					got := make([]byte, len(data))
					if !assert.NoError(t, disk.ReadBlocks(b, got)) {
						return
					}
					if !assert.True(t, bytes.Equal(data, got), "worker %d round %d", w, r) {
						return
					}
				}
			})
		}
		wg.Wait()
		st := disk.Stats()
		assert.EqualValues(t, workers*rounds, st.Writes)
		assert.EqualValues(t, workers*rounds, st.Reads)
		assert.Equal(t, int64(workers*rounds), int64(fake.Received(virtiotest.BlkOut)), "one request each: none above 64 KiB")
	})
}

// eventually waits for cond, failing the test after a second.
func eventually(t *testing.T, cond func() bool, what string) {
	t.Helper()
	for deadline := time.Now().Add(time.Second); !cond(); time.Sleep(time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
	}
}

func TestFlushWaitsForStartedWrites(t *testing.T) {
	fake, disk := open(t, virtiotest.BlkOptions{Async: true, Features: virtiotest.BlkFFlush}, 2*time.Second)
	fake.Hold(true)
	var writes sync.WaitGroup
	for i := range 4 {
		writes.Go(func() { assert.NoError(t, disk.WriteBlocks(int64(i*8), random(uint64(i), 4096))) })
	}
	eventually(t, func() bool { return fake.Received(virtiotest.BlkOut) == 4 }, "4 writes at the device")
	flushed := make(chan error, 1)
	go func() { flushed <- disk.Flush() }()
	time.Sleep(20 * time.Millisecond)
	assert.Zero(t, fake.Received(virtiotest.BlkFlush), "no FLUSH while started writes are outstanding")
	fake.Hold(false)
	require.NoError(t, <-flushed)
	writes.Wait()
	assert.Equal(t, []int{4}, fake.FlushLog(), "the FLUSH came after all 4 writes completed")
	assert.EqualValues(t, 1, disk.Stats().Flushes)
}

func TestFlushWithoutWriteCache(t *testing.T) {
	fake, disk := open(t, virtiotest.BlkOptions{}, time.Second)
	require.NoError(t, disk.WriteBlocks(0, make([]byte, 512)))
	require.NoError(t, disk.Flush())
	assert.Zero(t, fake.Received(virtiotest.BlkFlush), "write-through: nothing to send")
	assert.EqualValues(t, 1, disk.Stats().Flushes)
}

func TestReadOnly(t *testing.T) {
	fake, disk := open(t, virtiotest.BlkOptions{Features: virtiotest.BlkFRO}, time.Second)
	assert.True(t, disk.ReadOnly())
	err := disk.WriteBlocks(3, make([]byte, 512))
	assert.ErrorIs(t, err, virtioblk.ErrReadOnly)
	assert.EqualError(t, err, "virtio-blk vda: write at sector 3: the disk is read-only (VIRTIO_BLK_F_RO)")
	assert.Zero(t, fake.Received(virtiotest.BlkOut))
	assert.NoError(t, disk.ReadBlocks(3, make([]byte, 512)))
	assert.Contains(t, disk.Model(), "read-only")
}

// TestLostCompletionTimesOut: a request never completed fails after the
// timeout, naming what it was, and breaks the disk.
func TestLostCompletionTimesOut(t *testing.T) {
	modes(t, func(t *testing.T, async bool) {
		fake, disk := open(t, virtiotest.BlkOptions{Async: async}, 200*time.Millisecond)
		require.NoError(t, disk.ReadBlocks(0, make([]byte, 512)), "healthy first")
		fake.SetFault(virtiotest.FaultNeverComplete, func(r virtiotest.Request) bool { return r.Type == virtiotest.BlkOut })
		start := time.Now()
		err := disk.WriteBlocks(8, make([]byte, 1024))
		assert.Less(t, time.Since(start), time.Second)
		assert.ErrorIs(t, err, virtioblk.ErrTimeout)
		assert.Regexp(t, `^virtio-blk vda: write at sector 8: no completion after \d+ms$`, err.Error())
		assert.Equal(t, err, disk.Err())

		start = time.Now()
		err = disk.ReadBlocks(100, make([]byte, 512))
		assert.Less(t, time.Since(start), 50*time.Millisecond, "at once, not after a timeout")
		assert.ErrorIs(t, err, virtioblk.ErrBroken)
		assert.ErrorIs(t, err, virtioblk.ErrTimeout, "the reason is kept")
		assert.Regexp(t, `^virtio-blk vda: read at sector 100: disk broken earlier \(write at sector 8: no completion after \d+ms\)$`, err.Error())
		assert.ErrorIs(t, disk.Flush(), virtioblk.ErrBroken)
	})
}

// TestDeviceErrorsBreakTheDisk: a used entry that breaks the protocol
// fails the requests in flight and every later one.
func TestDeviceErrorsBreakTheDisk(t *testing.T) {
	for _, c := range []struct {
		name string
		f    virtiotest.Fault
		want string
	}{
		{"id out of range", virtiotest.FaultBadID, "beyond the queue's 128"},
		{"id not in flight", virtiotest.FaultStaleID, "which heads no chain the device holds"},
		{"length too large", virtiotest.FaultBadLen, "device-writable bytes"},
	} {
		t.Run(c.name, func(t *testing.T) {
			modes(t, func(t *testing.T, async bool) {
				fake, disk := open(t, virtiotest.BlkOptions{Async: async}, time.Second)
				fake.SetFault(c.f, func(r virtiotest.Request) bool { return r.Type == virtiotest.BlkIn && r.Sector == 40 })
				var wg sync.WaitGroup
				errs := make([]error, 8)
				start := time.Now()
				for i := range errs {
					wg.Go(func() { errs[i] = disk.ReadBlocks(int64(i*8), make([]byte, 4096)) })
				}
				wg.Wait()
				assert.Less(t, time.Since(start), 900*time.Millisecond, "no request waited for its timeout")
				err := errs[5] // sector 40
				var de *virtio.DeviceError
				require.True(t, errors.As(err, &de), "%v", err)
				assert.ErrorIs(t, err, virtioblk.ErrBroken)
				assert.Contains(t, err.Error(), "virtio-blk vda: read at sector 40: disk broken (virtio: queue 0: used entry")
				assert.Contains(t, err.Error(), c.want)
				assert.Equal(t, de, disk.Err())
				for _, e := range errs {
					if e != nil {
						assert.ErrorIs(t, e, virtio.ErrBroken)
					}
				}
				assert.ErrorIs(t, disk.WriteBlocks(0, make([]byte, 512)), virtio.ErrBroken, "later requests fail")
			})
		})
	}
}

func TestStatusErrorsFailOneRequest(t *testing.T) {
	modes(t, func(t *testing.T, async bool) {
		fake, disk := open(t, virtiotest.BlkOptions{Async: async, Features: virtiotest.BlkFFlush}, time.Second)
		fake.SetFault(virtiotest.FaultIOErr, func(r virtiotest.Request) bool { return r.Sector == 16 })
		err := disk.ReadBlocks(16, make([]byte, 512))
		assert.ErrorIs(t, err, virtioblk.ErrIO)
		assert.EqualError(t, err, "virtio-blk vda: read at sector 16: the device reported an I/O error")
		assert.NoError(t, disk.ReadBlocks(17, make([]byte, 512)), "the disk carries on")

		fake.SetFault(virtiotest.FaultUnsupp, func(r virtiotest.Request) bool { return r.Type == virtiotest.BlkFlush })
		err = disk.Flush()
		assert.ErrorIs(t, err, virtioblk.ErrUnsupported)
		assert.EqualError(t, err, "virtio-blk vda: flush: the device does not support the request")

		fake.SetFault(virtiotest.FaultUnsupp, func(r virtiotest.Request) bool { return r.Type == virtiotest.BlkGetID })
		assert.Equal(t, "", disk.ID(), "best effort")
		assert.NoError(t, disk.Err())
		assert.NoError(t, disk.WriteBlocks(0, make([]byte, 512)))
	})
}

func TestClose(t *testing.T) {
	fake, disk := open(t, virtiotest.BlkOptions{Async: true}, time.Second)
	fake.Hold(true)
	errc := make(chan error, 1)
	go func() { errc <- disk.ReadBlocks(0, make([]byte, 512)) }()
	eventually(t, func() bool { return fake.Received(virtiotest.BlkIn) == 1 }, "the read at the device")
	require.NoError(t, disk.Close())
	err := <-errc
	assert.ErrorIs(t, err, virtioblk.ErrClosed, "the request in flight fails")
	assert.EqualError(t, disk.ReadBlocks(0, make([]byte, 512)), "virtio-blk vda: read at sector 0: disk closed")
	assert.Zero(t, fake.Status(), "the device is reset")
	assert.NoError(t, disk.Close(), "twice is fine")
	assert.NoError(t, disk.Err())
}

// TestVectoredTransfers: ReadBlocksv and WriteBlocksv move blocks to and
// from several buffers (of pages, say) as one transfer, across pieces.
func TestVectoredTransfers(t *testing.T) {
	modes(t, func(t *testing.T, async bool) {
		fake, disk := open(t, virtiotest.BlkOptions{Async: async}, time.Second)
		data := random(2, 40*4096)
		var bufs [][]byte
		for off := 0; off < len(data); off += 4096 {
			bufs = append(bufs, data[off:off+4096])
		}
		require.NoError(t, disk.WriteBlocksv(16, bufs))
		assert.True(t, bytes.Equal(data, fake.Image()[16*512:16*512+len(data)]), "on the device")
		got := make([]byte, len(data))
		var into [][]byte
		for off := 0; off < len(got); off += 4096 {
			into = append(into, got[off:off+4096])
		}
		require.NoError(t, disk.ReadBlocksv(16, into))
		assert.Equal(t, data, got)
		assert.ErrorIs(t, disk.ReadBlocksv(disk.Blocks()-1, into), blockdev.ErrRange)
		assert.Equal(t, int64(1), disk.Stats().Writes, "one transfer")
	})
}

// TestDirectRequestsSkipTheBounce: with Config.Direct the device moves a
// large request's data straight to and from the caller's memory (here
// memory the fake device reaches), and small ones still bounce.
func TestDirectRequestsSkipTheBounce(t *testing.T) {
	fake := virtiotest.NewBlk(make([]byte, diskBytes), virtiotest.BlkOptions{Async: true})
	t.Cleanup(fake.Close)
	buf, err := fake.Mem.Alloc(64<<10, 4096)
	require.NoError(t, err)
	asked := 0
	cfg := virtioblk.Config{Caps: fake.Caps(), DMA: fake.Mem, MSIXVector: virtio.NoVector, Timeout: time.Second, Name: "vda", Wait: fake.Wait,
		Direct: func(p []byte) ([]virtioblk.Range, bool) {
			asked++
			if &p[0] != &buf.Bytes[0] {
				return nil, false
			}
			return []virtioblk.Range{{Addr: buf.Addr, Len: 32 << 10}, {Addr: buf.Addr + 32<<10, Len: len(p) - 32<<10}}, true
		}}
	disk, err := virtioblk.Open(cfg)
	require.NoError(t, err)
	defer disk.Close()
	data := random(3, 64<<10)
	copy(buf.Bytes, data)
	require.NoError(t, disk.WriteBlocks(8, buf.Bytes))
	assert.True(t, bytes.Equal(data, fake.Image()[8*512:8*512+len(data)]), "written from the caller's memory")
	clear(buf.Bytes)
	require.NoError(t, disk.ReadBlocks(8, buf.Bytes))
	assert.Equal(t, data, buf.Bytes, "read into the caller's memory")
	small := make([]byte, 4096)
	require.NoError(t, disk.ReadBlocks(8, small))
	assert.Equal(t, data[:4096], small, "a small request bounces")
	assert.Equal(t, 2, asked, "only the large requests asked for addresses")
}
