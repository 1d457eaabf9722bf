package objects

import (
	"sync"

	"k42/kernel"
	"k42/reconfig"
	"k42/reconfig/generation"
	"k42/reconfig/platform"
)

// kernelPlatform serves platform.Platform: the CPU number is SPRG3 (one
// mfspr), the clock the timebase.
type kernelPlatform struct{}

func (kernelPlatform) CPU() int    { return kernel.CPUID() }
func (kernelPlatform) NumCPU() int { return kernel.NumCPUs() }
func (kernelPlatform) Now() int64 {
	tb, hz := kernel.Timebase(), kernel.TimebaseHz()
	return int64(tb/hz)*1e9 + int64(tb%hz*1e9/hz)
}

// Platform returns the kernel's reconfiguration platform.
func Platform() platform.Platform { return kernelPlatform{} }

var (
	once  sync.Once
	table *reconfig.Table
)

// Generations per CPU in the system domain (K42's choice).
const Generations = 2

// Table returns the system translation table, made on first use.
func Table() *reconfig.Table {
	once.Do(func() {
		d, err := generation.New(Platform(), Generations)
		if err != nil {
			panic("objects: " + err.Error())
		}
		table = reconfig.NewTable(d)
	})
	return table
}
