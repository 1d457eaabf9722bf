// Package fcmstress is the FCMs' integrity workload: clients create,
// append to, read, truncate and delete files, each checking every byte
// against its own model of its files, while a swapper hot-swaps random
// FCMs among the family's implementations every few milliseconds and
// upgrades the factory now and then. The host tests run it on an fs.FS
// with -race; the kernel's suite runs it through the os package, on the
// real system-call path, on all CPUs. It is linked only into test
// binaries and the kernel's test image.
//
// Execution context: ordinary Go goroutines.
package fcmstress

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"path"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"k42/fs"
	"k42/mm/fcm"
	"k42/reconfig"
	"k42/reconfig/generation"
)

// FS is the file operations the workload makes.
type FS interface {
	WriteFile(name string, data []byte) error // create or truncate, then write
	Append(name string, data []byte) error
	ReadFile(name string) ([]byte, error)
	Truncate(name string, size int64) error
	Remove(name string) error
}

// Config sizes a run.
type Config struct {
	Dir          string        // where the clients' files go
	Clients      int           // concurrent clients
	Files        int           // files per client
	MaxSize      int           // a created file's largest size
	Duration     time.Duration // how long the clients run
	SwapEvery    time.Duration // between the swapper's random swaps
	UpgradeEvery int           // an upgrade instead of every n-th swap (0: never)
	Seed         uint64
}

// Result counts a run.
type Result struct {
	Ops, Bytes        int64 // operations made and bytes checked by reads
	Swaps, Upgrades   int64
	UpgradeSwaps      int64 // FCMs swapped by the upgrades
	Gone              int64 // swaps of files deleted meanwhile
	Elapsed           time.Duration
	Implementations   []string
	MaxUpgrade        time.Duration
	MaxSwap, MeanSwap time.Duration
	Slowest           reconfig.SwapReport // the slowest swap's report
}

// Run runs the workload; the first error (a wrong byte, a failed swap or
// upgrade, a failed operation) ends it.
func Run(fsys FS, m *fcm.Manager, cfg Config) (Result, error) {
	impls := fcm.FCMInterface.Implementations()
	res := Result{Implementations: impls}
	var (
		wg       sync.WaitGroup
		stop     = make(chan struct{})
		errOnce  sync.Once
		firstErr error
		swapTime time.Duration
	)
	failed := make(chan struct{})
	fail := func(err error) {
		errOnce.Do(func() {
			firstErr = err
			close(failed)
		})
	}
	start := time.Now()
	for c := range cfg.Clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			cl := client{fsys: fsys, cfg: cfg, id: c, model: map[string][]byte{},
				rng: rand.New(rand.NewPCG(cfg.Seed+uint64(c), 42))}
			for {
				select {
				case <-stop:
					return
				default:
				}
				n, err := cl.step()
				if err != nil {
					fail(fmt.Errorf("client %d: %w", c, err))
					return
				}
				atomic.AddInt64(&res.Ops, 1)
				atomic.AddInt64(&res.Bytes, int64(n))
			}
		}()
	}
	wg.Add(1)
	go func() { // the swapper
		defer wg.Done()
		rng := rand.New(rand.NewPCG(cfg.Seed, 7))
		tick := time.NewTicker(cfg.SwapEvery)
		defer tick.Stop()
		for n := 1; ; n++ {
			select {
			case <-stop:
				return
			case <-tick.C:
			}
			to := impls[rng.IntN(len(impls))]
			if cfg.UpgradeEvery > 0 && n%cfg.UpgradeEvery == 0 {
				rep, err := m.Upgrade(to)
				if err == nil && len(rep.Failed) > 0 {
					err = fmt.Errorf("%s", rep)
				}
				if err != nil {
					fail(fmt.Errorf("upgrade to %s: %w", to, err))
					return
				}
				res.Upgrades++
				res.UpgradeSwaps += int64(rep.Swapped)
				res.MaxUpgrade = max(res.MaxUpgrade, rep.Took)
				continue
			}
			files := m.Files()
			if len(files) == 0 {
				continue
			}
			f := files[rng.IntN(len(files))]
			rep, err := f.Entry().SwapTo(to, reconfig.SwapOptions{})
			switch {
			case err == nil:
				res.Swaps++
				swapTime += rep.Total
				if rep.Total > res.MaxSwap {
					res.MaxSwap, res.Slowest = rep.Total, rep
				}
			case errors.Is(err, reconfig.ErrDestroyed) || f.Released():
				res.Gone++
			default:
				fail(fmt.Errorf("swap of %s to %s: %w", f.Name(), to, err))
				return
			}
		}
	}()
	select {
	case <-time.After(cfg.Duration):
	case <-failed:
	}
	close(stop)
	wg.Wait()
	res.Elapsed = time.Since(start)
	if res.Swaps > 0 {
		res.MeanSwap = swapTime / time.Duration(res.Swaps)
	}
	return res, firstErr
}

type client struct {
	fsys  FS
	cfg   Config
	id    int
	rng   *rand.Rand
	model map[string][]byte
}

// step does one random operation and checks it; it returns the bytes a
// read checked.
func (c *client) step() (int, error) {
	name := path.Join(c.cfg.Dir, fmt.Sprintf("c%d-%d", c.id, c.rng.IntN(c.cfg.Files)))
	want, exists := c.model[name]
	switch op := c.rng.IntN(10); {
	case op < 3:
		data := Pattern(c.rng.Uint64(), c.rng.IntN(c.cfg.MaxSize+1))
		if err := c.fsys.WriteFile(name, data); err != nil {
			return 0, err
		}
		c.model[name] = data
	case op < 5 && exists:
		data := Pattern(c.rng.Uint64(), c.rng.IntN(c.cfg.MaxSize/4+1))
		if err := c.fsys.Append(name, data); err != nil {
			return 0, err
		}
		c.model[name] = append(want, data...)
	case op < 8 && exists:
		got, err := c.fsys.ReadFile(name)
		if err != nil {
			return 0, err
		}
		if !bytes.Equal(got, want) {
			return 0, fmt.Errorf("%s: read %d bytes, want %d; first difference at byte %d", name, len(got), len(want), firstDiff(got, want))
		}
		return len(got), nil
	case op < 9 && exists:
		size := c.rng.IntN(len(want) + c.cfg.MaxSize/4 + 1)
		if err := c.fsys.Truncate(name, int64(size)); err != nil {
			return 0, err
		}
		if size <= len(want) {
			c.model[name] = want[:size]
		} else {
			c.model[name] = append(want, make([]byte, size-len(want))...)
		}
	case exists:
		delete(c.model, name)
		if err := c.fsys.Remove(name); err != nil {
			return 0, err
		}
	}
	return 0, nil
}

func firstDiff(a, b []byte) int {
	for i := range min(len(a), len(b)) {
		if a[i] != b[i] {
			return i
		}
	}
	return min(len(a), len(b))
}

// Pattern is n bytes of a seeded pseudo-random pattern.
func Pattern(seed uint64, n int) []byte {
	var key [32]byte
	binary.LittleEndian.PutUint64(key[:], seed)
	b := make([]byte, n)
	rand.NewChaCha8(key).Read(b)
	return b
}

// OS is FS through the os package: on the kernel, the real system calls.
type OS struct{}

func (OS) WriteFile(name string, data []byte) error { return os.WriteFile(name, data, 0o644) }
func (OS) ReadFile(name string) ([]byte, error)     { return os.ReadFile(name) }
func (OS) Truncate(name string, size int64) error   { return os.Truncate(name, size) }
func (OS) Remove(name string) error                 { return os.Remove(name) }
func (OS) Append(name string, data []byte) error {
	f, err := os.OpenFile(name, os.O_WRONLY|os.O_APPEND, 0)
	if err != nil {
		return err
	}
	_, err = f.Write(data)
	return errors.Join(err, f.Close())
}

// Of is FS over a k42/fs file system, from its root, each operation a
// request of d (as a system call served is one).
func Of(fsys *fs.FS, d *generation.Domain) FS { return served{fsOps{fsys}, d} }

// served runs each operation of an FS as a request.
type served struct {
	fs FS
	d  *generation.Domain
}

func (s served) WriteFile(name string, data []byte) (err error) {
	s.d.Do(func() { err = s.fs.WriteFile(name, data) })
	return err
}
func (s served) Append(name string, data []byte) (err error) {
	s.d.Do(func() { err = s.fs.Append(name, data) })
	return err
}
func (s served) ReadFile(name string) (b []byte, err error) {
	s.d.Do(func() { b, err = s.fs.ReadFile(name) })
	return b, err
}
func (s served) Truncate(name string, size int64) (err error) {
	s.d.Do(func() { err = s.fs.Truncate(name, size) })
	return err
}
func (s served) Remove(name string) (err error) {
	s.d.Do(func() { err = s.fs.Remove(name) })
	return err
}

type fsOps struct{ fsys *fs.FS }

func (o fsOps) write(name string, flags int, data []byte) error {
	f, err := o.fsys.OpenAt(nil, name, flags|syscall.O_WRONLY, 0o644)
	if err != nil {
		return err
	}
	_, err = f.Write(data)
	return errors.Join(err, f.Close())
}

func (o fsOps) WriteFile(name string, data []byte) error {
	return o.write(name, syscall.O_CREAT|syscall.O_TRUNC, data)
}
func (o fsOps) Append(name string, data []byte) error { return o.write(name, syscall.O_APPEND, data) }
func (o fsOps) ReadFile(name string) ([]byte, error) {
	f, err := o.fsys.OpenAt(nil, name, syscall.O_RDONLY, 0)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, err
	}
	b := make([]byte, st.Size)
	n, err := f.ReadAt(b, 0)
	if err != nil && n != len(b) {
		return nil, err
	}
	return b[:n], nil
}
func (o fsOps) Truncate(name string, size int64) error { return o.fsys.TruncateAt(nil, name, size) }
func (o fsOps) Remove(name string) error               { return o.fsys.UnlinkAt(nil, name, 0) }
