package fcm

import (
	"bytes"
	"fmt"
	"io"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"k42/reconfig"
)

// TestIntegrityUnderSwapsAndUpgrades: clients create, append to, read,
// truncate and delete files, each checking every byte against its own
// model of the file, while FCMs are swapped at random every couple of
// milliseconds among the three implementations and the factory upgrades
// them all now and then, over a cache far smaller than the data. Nothing
// is lost, nothing is stale, every swap either succeeds or leaves the old
// FCM serving.
func TestIntegrityUnderSwapsAndUpgrades(t *testing.T) {
	dur := 3 * time.Second
	if testing.Short() {
		dur = time.Second
	}
	r := newRig(t, ImplSingle, 48, 1<<15)
	res := Stress(t, r, 6, dur)
	t.Logf("%+v", res)
	assert.NotZero(t, res.Swaps)
	assert.NotZero(t, res.Upgrades)
	assert.NotZero(t, r.cache.Stats().Counts[2], "pages were evicted") // Evictions
}

// StressResult counts a Stress run.
type StressResult struct {
	Ops, Swaps, SwapFailures, Upgrades, UpgradeSwaps int64
}

// Stress runs the integrity workload on r for dur.
func Stress(t *testing.T, r *rig, clients int, dur time.Duration) StressResult {
	var res StressResult
	var wg sync.WaitGroup
	stop := make(chan struct{})
	var failed atomic.Bool
	for c := range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rng := rand.New(rand.NewPCG(uint64(c), 42))
			model := map[string][]byte{}
			for {
				select {
				case <-stop:
					return
				default:
				}
				if err := step(r, rng, c, model); err != nil {
					failed.Store(true)
					t.Error(err)
					return
				}
				atomic.AddInt64(&res.Ops, 1)
			}
		}()
	}
	wg.Add(1)
	go func() { // the swapper
		defer wg.Done()
		rng := rand.New(rand.NewPCG(99, 7))
		tick := time.NewTicker(2 * time.Millisecond)
		defer tick.Stop()
		n := 0
		for {
			select {
			case <-stop:
				return
			case <-tick.C:
			}
			n++
			if n%40 == 0 {
				rep, err := r.m.Upgrade(impls[rng.IntN(len(impls))])
				if err != nil || len(rep.Failed) > 0 {
					t.Errorf("upgrade: %v %v", err, rep)
				}
				res.Upgrades++
				res.UpgradeSwaps += int64(rep.Swapped)
				continue
			}
			files := r.m.Files()
			if len(files) == 0 {
				continue
			}
			f := files[rng.IntN(len(files))]
			_, err := f.Entry().SwapTo(impls[rng.IntN(len(impls))], reconfig.SwapOptions{})
			switch {
			case err == nil:
				res.Swaps++
			case f.released.Load():
			default:
				res.SwapFailures++
				t.Errorf("swap %s: %v", f.Name(), err)
			}
		}
	}()
	time.Sleep(dur)
	close(stop)
	wg.Wait()
	require.False(t, failed.Load())
	return res
}

// step does one random operation of client c and checks it against model.
func step(r *rig, rng *rand.Rand, c int, model map[string][]byte) error {
	name := fmt.Sprintf("/c%d-%d", c, rng.IntN(6))
	want, exists := model[name]
	switch op := rng.IntN(10); {
	case op < 3: // create with random contents
		data := pattern(rng.Uint64(), rng.IntN(40000))
		f, err := r.fsys.OpenAt(nil, name, syscall.O_CREAT|syscall.O_TRUNC|syscall.O_WRONLY, 0o644)
		if err != nil {
			return err
		}
		if _, err := f.Write(data); err != nil {
			return err
		}
		model[name] = data
		return f.Close()
	case op < 5 && exists: // append
		data := pattern(rng.Uint64(), rng.IntN(9000))
		f, err := r.fsys.OpenAt(nil, name, syscall.O_WRONLY|syscall.O_APPEND, 0)
		if err != nil {
			return err
		}
		if _, err := f.Write(data); err != nil {
			return err
		}
		model[name] = append(want, data...)
		return f.Close()
	case op < 8 && exists: // read it all
		f, err := r.fsys.OpenAt(nil, name, syscall.O_RDONLY, 0)
		if err != nil {
			return err
		}
		got, err := io.ReadAll(f)
		f.Close()
		if err != nil {
			return err
		}
		if !bytes.Equal(got, want) {
			return fmt.Errorf("%s: read %d bytes, want %d (first difference at %d)", name, len(got), len(want), firstDiff(got, want))
		}
		return nil
	case op < 9 && exists: // truncate, shorter or longer
		size := rng.IntN(len(want) + 8000)
		if err := r.fsys.TruncateAt(nil, name, int64(size)); err != nil {
			return err
		}
		if size <= len(want) {
			model[name] = want[:size]
		} else {
			model[name] = append(want, make([]byte, size-len(want))...)
		}
		return nil
	case exists: // delete
		delete(model, name)
		return r.fsys.UnlinkAt(nil, name, 0)
	}
	return nil
}

func firstDiff(a, b []byte) int {
	for i := range min(len(a), len(b)) {
		if a[i] != b[i] {
			return i
		}
	}
	return min(len(a), len(b))
}
