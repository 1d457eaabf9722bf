package postmark

import (
	"k42/benchmarks/measure"

	"fmt"
	"strings"
	"time"
)

// Report is what one run did and how long it took.
type Report struct {
	Config    Config
	Dir       string // where it ran; for RunN's sum, the directory given
	Instances int    // 1 for Run, n for RunN's sum

	Elapsed            time.Duration // the whole run
	CreateElapsed      time.Duration // phase 1: the subdirectories and the pool
	TransactionElapsed time.Duration // phase 2
	DeleteElapsed      time.Duration // phase 3: the files left and the subdirectories

	Transactions          int
	Created               int // in the pool and in transactions
	CreatedInTransactions int
	Reads                 int
	Appends               int
	Deleted               int // in transactions and in phase 3
	DeletedInTransactions int

	BytesRead    int64
	BytesWritten int64
}

// Sum returns the sum of instances' reports, as RunN does: counts and
// bytes added up, each time the greatest of theirs, and the first's
// Config.
func Sum(rs []Report) Report {
	var s Report
	if len(rs) > 0 {
		s.Config = rs[0].Config
	}
	for _, r := range rs {
		s.Instances += r.Instances
		s.Elapsed = max(s.Elapsed, r.Elapsed)
		s.CreateElapsed = max(s.CreateElapsed, r.CreateElapsed)
		s.TransactionElapsed = max(s.TransactionElapsed, r.TransactionElapsed)
		s.DeleteElapsed = max(s.DeleteElapsed, r.DeleteElapsed)
		s.Transactions += r.Transactions
		s.Created += r.Created
		s.CreatedInTransactions += r.CreatedInTransactions
		s.Reads += r.Reads
		s.Appends += r.Appends
		s.Deleted += r.Deleted
		s.DeletedInTransactions += r.DeletedInTransactions
		s.BytesRead += r.BytesRead
		s.BytesWritten += r.BytesWritten
	}
	return s
}

// TPS is the transactions per second of the transaction phase.
func (r Report) TPS() float64 { return measure.Rate(float64(r.Transactions), r.TransactionElapsed) }

// CreatesPerSec is the files created per second of the whole run, as
// PostMark reports it.
func (r Report) CreatesPerSec() float64 { return measure.Rate(float64(r.Created), r.Elapsed) }

// ReadsPerSec is the reads per second of the transaction phase.
func (r Report) ReadsPerSec() float64 { return measure.Rate(float64(r.Reads), r.TransactionElapsed) }

// AppendsPerSec is the appends per second of the transaction phase.
func (r Report) AppendsPerSec() float64 {
	return measure.Rate(float64(r.Appends), r.TransactionElapsed)
}

// DeletesPerSec is the files deleted per second of the whole run.
func (r Report) DeletesPerSec() float64 { return measure.Rate(float64(r.Deleted), r.Elapsed) }

// ReadBytesPerSec is the bytes read per second of the whole run.
func (r Report) ReadBytesPerSec() float64 { return measure.Rate(float64(r.BytesRead), r.Elapsed) }

// WriteBytesPerSec is the bytes written per second of the whole run.
func (r Report) WriteBytesPerSec() float64 { return measure.Rate(float64(r.BytesWritten), r.Elapsed) }

// Metric is one figure of a Report.
type Metric = measure.Metric

// Metrics returns the figures PostMark prints, "tps" first.
func (r Report) Metrics() []Metric {
	return []Metric{
		{Name: "tps", Value: r.TPS(), Unit: "tx/s"},
		{Name: "elapsed", Value: r.Elapsed.Seconds(), Unit: "s"},
		{Name: "creates_per_s", Value: r.CreatesPerSec(), Unit: "1/s"},
		{Name: "reads_per_s", Value: r.ReadsPerSec(), Unit: "1/s"},
		{Name: "appends_per_s", Value: r.AppendsPerSec(), Unit: "1/s"},
		{Name: "deletes_per_s", Value: r.DeletesPerSec(), Unit: "1/s"},
		{Name: "read_bytes_per_s", Value: r.ReadBytesPerSec(), Unit: "B/s"},
		{Name: "write_bytes_per_s", Value: r.WriteBytesPerSec(), Unit: "B/s"},
		{Name: "create_phase", Value: r.CreateElapsed.Seconds(), Unit: "s"},
		{Name: "transaction_phase", Value: r.TransactionElapsed.Seconds(), Unit: "s"},
		{Name: "delete_phase", Value: r.DeleteElapsed.Seconds(), Unit: "s"},
	}
}

// String returns a summary in the form PostMark prints.
func (r Report) String() string {
	var b strings.Builder
	c := r.Config
	p := func(format string, a ...any) { fmt.Fprintf(&b, format, a...) }
	mb := func(n int64) float64 { return float64(n) / (1 << 20) }
	each, seeds := "", ""
	if r.Instances > 1 {
		p("PostMark, %d instances at once (counts summed, times the slowest's)\n", r.Instances)
		each, seeds = " each", fmt.Sprintf("-%d", c.Seed+uint64(r.Instances)-1)
	}
	p("Config%s: %d files, %d transactions, sizes %d-%d bytes, blocks %d/%d (read/write), biases %d/%d (read/create), %d subdirectories, seed %d%s\n",
		each, c.Files, c.Transactions, c.MinSize, c.MaxSize, c.ReadBlock, c.WriteBlock, c.ReadBias, c.CreateBias, c.Subdirs, c.Seed, seeds)
	p("Time:\n")
	p("\t%.3f seconds total\n", r.Elapsed.Seconds())
	p("\t%.3f seconds of transactions (%.1f per second)\n", r.TransactionElapsed.Seconds(), r.TPS())
	p("Files:\n")
	p("\t%d created (%.1f per second)\n", r.Created, r.CreatesPerSec())
	pool := r.Created - r.CreatedInTransactions
	p("\t\tCreation alone: %d files (%.1f per second)\n", pool, measure.Rate(float64(pool), r.CreateElapsed))
	p("\t\tMixed with transactions: %d files (%.1f per second)\n", r.CreatedInTransactions, measure.Rate(float64(r.CreatedInTransactions), r.TransactionElapsed))
	p("\t%d read (%.1f per second)\n", r.Reads, r.ReadsPerSec())
	p("\t%d appended (%.1f per second)\n", r.Appends, r.AppendsPerSec())
	p("\t%d deleted (%.1f per second)\n", r.Deleted, r.DeletesPerSec())
	alone := r.Deleted - r.DeletedInTransactions
	p("\t\tDeletion alone: %d files (%.1f per second)\n", alone, measure.Rate(float64(alone), r.DeleteElapsed))
	p("\t\tMixed with transactions: %d files (%.1f per second)\n", r.DeletedInTransactions, measure.Rate(float64(r.DeletedInTransactions), r.TransactionElapsed))
	p("Data:\n")
	p("\t%.2f megabytes read (%.2f megabytes per second)\n", mb(r.BytesRead), r.ReadBytesPerSec()/(1<<20))
	p("\t%.2f megabytes written (%.2f megabytes per second)\n", mb(r.BytesWritten), r.WriteBytesPerSec()/(1<<20))
	return b.String()
}
