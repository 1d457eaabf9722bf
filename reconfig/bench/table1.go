package bench

import (
	"errors"
	"math"
	"strconv"
	"time"

	"k42/reconfig"
	"k42/reconfig/generation"
	"k42/reconfig/testcomp"
)

// Op is one operation's figures in the paper's Table 1: the mean time of
// one operation and the standard deviation of that mean over the
// batches it was timed in, from N operations in all.
type Op struct {
	Mean, StdDev time.Duration
	N            int
}

// Table1Result is the paper's Table 1 (§6.2): attaching an empty wrapper,
// a component call through it, and detaching it. Direct is the same call
// through the translation table with no wrapper, so that Call − Direct is
// what interposition adds.
type Table1Result struct {
	Attach, Call, Detach, Direct Op
}

// Table1 runs the paper's experiment: an empty wrapper attached to,
// called through and detached from a component, n times each (the paper
// uses 100,000). A clock read costs more than a call, so the operations
// are timed in batches of batch objects: each round attaches a wrapper to
// each of batch objects (one timed batch), calls each once through it
// (another), calls each once again after the detach for the wrapper-less
// baseline, and detaches them (a third). A figure's mean is its total over
// n, its standard deviation that of the per-operation mean of each batch.
func (su Suite) Table1(n, batch int) (Table1Result, error) {
	if n < batch || batch < 1 {
		return Table1Result{}, errors.New("bench: Table1 needs n ≥ batch ≥ 1")
	}
	d, err := generation.New(su.P, 2)
	if err != nil {
		return Table1Result{}, err
	}
	t := reconfig.NewTable(d)
	es := make([]*reconfig.Entry[testcomp.Adder], batch)
	refs := make([]reconfig.Ref[testcomp.Adder], batch)
	for i := range es {
		if es[i], err = reconfig.Create(t, "t1/"+strconv.Itoa(i), testcomp.AdderInterface, testcomp.Adder(&testcomp.PlainAdder{})); err != nil {
			return Table1Result{}, err
		}
		refs[i] = es[i].Ref()
	}
	as := make([]*reconfig.Attachment, batch)
	rounds := n / batch
	var attach, call, detach, direct []float64 // ns per operation, one a round
	per := func(t0 time.Time) float64 { return float64(time.Since(t0).Nanoseconds()) / float64(batch) }
	var s int64
	w := EmptyWrapper{}
	for r := 0; r < rounds; r++ {
		t0 := time.Now()
		for j := range es {
			if as[j], err = es[j].Attach(w); err != nil {
				return Table1Result{}, err
			}
		}
		attach = append(attach, per(t0))
		t0 = time.Now()
		for j := range refs {
			s += refs[j].Get().Add(1)
		}
		call = append(call, per(t0))
		t0 = time.Now()
		for j := range es {
			if err := es[j].Detach(as[j]); err != nil {
				return Table1Result{}, err
			}
		}
		detach = append(detach, per(t0))
		t0 = time.Now()
		for j := range refs {
			s += refs[j].Get().Add(1)
		}
		direct = append(direct, per(t0))
	}
	sink = s
	return Table1Result{
		Attach: opOf(attach, batch), Call: opOf(call, batch),
		Detach: opOf(detach, batch), Direct: opOf(direct, batch),
	}, nil
}

// opOf is the mean and standard deviation of per-operation times xs (ns),
// one per batch of batch operations.
func opOf(xs []float64, batch int) Op {
	var sum float64
	for _, x := range xs {
		sum += x
	}
	mean := sum / float64(len(xs))
	var v float64
	for _, x := range xs {
		v += (x - mean) * (x - mean)
	}
	if len(xs) > 1 {
		v /= float64(len(xs) - 1)
	}
	return Op{Mean: time.Duration(math.Round(mean)), StdDev: time.Duration(math.Round(math.Sqrt(v))), N: len(xs) * batch}
}
