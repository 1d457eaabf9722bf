package fcm_test

import (
	"syscall"
	"testing"

	"github.com/stretchr/testify/require"

	"k42/fs"
	"k42/mm/fcm"
	"k42/reconfig"
	"k42/reconfig/adapt"
	"k42/reconfig/generation"
	"k42/reconfig/platform"
)

// newPolicyStack is the FCM stack over memory (a 4 MiB page cache, 1,024
// pages) on a 2-CPU generation domain, with the FCM policies registered.
func newPolicyStack(t *testing.T) (*generation.Domain, *fcm.Manager, *fs.PageLimit, *adapt.Registry) {
	t.Helper()
	d, err := generation.New(platform.Host(), 2)
	require.NoError(t, err)
	m, limit, err := fcm.NewInMemory(reconfig.NewTable(d), 4<<20, 64<<20, fcm.ImplSingle)
	require.NoError(t, err)
	t.Cleanup(func() { m.Cache().Close() })
	reg := adapt.NewRegistry()
	m.SetPolicies(reg)
	return d, m, limit, reg
}

// TestSequentialPolicyThresholds: in a file of min_pages pages, 20
// sequential pages leave the FCM
// alone and the 21st swaps it to sequential; 10 non-sequential requests
// keep it there and the 11th swaps it back to what it was. A page read in
// pieces counts once.
func TestSequentialPolicyThresholds(t *testing.T) {
	_, m, limit, reg := newPolicyStack(t)
	minPages := reg.Policy(fcm.PolicySequential).Param("min_pages")
	require.Equal(t, int64(1024/8), minPages.Get(), "the default: an eighth of a 4 MiB cache's 1,024 pages")
	require.NoError(t, minPages.Set("200"))
	fsys := fs.New(fs.Options{Pages: limit, Data: m.DataFactory()})
	f, err := fsys.OpenAt(nil, "/stream", syscall.O_CREAT|syscall.O_RDWR, 0o644)
	require.NoError(t, err)
	defer f.Close()
	data := make([]byte, 200*fs.PageSize)
	// Written in one request: one run of 200 pages would swap, so switch
	// the policy off while filling the file.
	reg.Policy(fcm.PolicySequential).SetOn(false)
	_, err = f.WriteAt(data, 0)
	require.NoError(t, err)
	reg.Policy(fcm.PolicySequential).SetOn(true)
	file := f.Node().Data().(*fcm.File)
	impl := func() string { reg.Worker().Wait(); return file.Impl() }
	read := func(page int64, n int) {
		t.Helper()
		_, err := f.ReadAt(make([]byte, n), page*fs.PageSize)
		require.NoError(t, err)
	}

	read(100, fs.PageSize) // a run elsewhere, then a fresh start
	for p := int64(0); p < 20; p++ {
		read(p, fs.PageSize/2) // each page in two pieces: still one page
		_, err := f.ReadAt(make([]byte, fs.PageSize/2), p*fs.PageSize+fs.PageSize/2)
		require.NoError(t, err)
	}
	require.Equal(t, fcm.ImplSingle, impl(), "20 sequential pages: no swap")
	read(20, fs.PageSize)
	require.Equal(t, fcm.ImplSequential, impl(), "the 21st: sequential")

	for i := int64(0); i < 10; i++ {
		read(150-10*i, 100) // backwards, far apart: non-sequential
	}
	require.Equal(t, fcm.ImplSequential, impl(), "10 non-sequential requests: it stays")
	read(3, 100)
	require.Equal(t, fcm.ImplSingle, impl(), "the 11th: back to single")

	log, total := reg.Log().List()
	require.Equal(t, 2, total)
	require.Equal(t, "21 sequential pages", log[0].Reason)
	require.Equal(t, "11 non-sequential requests", log[1].Reason)

	// A pin holds against the policy.
	require.NoError(t, file.Pin(fcm.ImplSingle))
	for p := int64(0); p < 40; p++ {
		read(p, fs.PageSize)
	}
	require.Equal(t, fcm.ImplSingle, impl(), "pinned")
	log, _ = reg.Log().List()
	require.Contains(t, log[len(log)-1].Err, "pinned")
}

// TestSequentialPolicyAfterAnUpgrade: the policy made a stream's FCM
// sequential, a factory upgrade swapped it to single behind the policy's
// back (as a benchmark selecting its configuration does), and the stream's
// next long run makes it sequential again.
func TestSequentialPolicyAfterAnUpgrade(t *testing.T) {
	d, m, limit, reg := newPolicyStack(t)
	require.NoError(t, reg.Policy(fcm.PolicySequential).Param("min_pages").Set("20")) // its file grows to 30 pages
	fsys := fs.New(fs.Options{Pages: limit, Data: m.DataFactory()})
	f, err := fsys.OpenAt(nil, "/stream", syscall.O_CREAT|syscall.O_RDWR, 0o644)
	require.NoError(t, err)
	defer f.Close()
	file := f.Node().Data().(*fcm.File)
	impl := func() string { reg.Worker().Wait(); return file.Impl() }
	page := make([]byte, fs.PageSize)
	stream := func(pages int64) {
		t.Helper()
		for p := int64(0); p < pages; p++ {
			// Each write a request, as a server's call is, so that the
			// policy's swap, which the worker makes meanwhile, waits for it.
			req := d.Enter()
			_, err := f.WriteAt(page, p*fs.PageSize)
			req.End()
			require.NoError(t, err)
		}
	}
	stream(30)
	require.Equal(t, fcm.ImplSequential, impl(), "a stream: sequential")
	_, err = m.Upgrade(fcm.ImplSingle)
	require.NoError(t, err)
	require.Equal(t, fcm.ImplSingle, impl(), "the upgrade swapped it")
	stream(200)
	require.Equal(t, fcm.ImplSequential, impl(), "the next stream: sequential again")
}

// TestSequentialPolicySparesSmallFiles: with the default min_pages, a
// file of 50 pages read whole again and again (SDET's dictionary) keeps
// its FCM, while a file larger than an eighth of the cache read in order
// is swapped 21 pages into its run.
func TestSequentialPolicySparesSmallFiles(t *testing.T) {
	_, m, limit, reg := newPolicyStack(t)
	fsys := fs.New(fs.Options{Pages: limit, Data: m.DataFactory()})
	reg.Policy(fcm.PolicySequential).SetOn(false)
	mk := func(name string, pages int) (*fs.File, *fcm.File) {
		f, err := fsys.OpenAt(nil, name, syscall.O_CREAT|syscall.O_RDWR, 0o644)
		require.NoError(t, err)
		_, err = f.WriteAt(make([]byte, pages*fs.PageSize), 0)
		require.NoError(t, err)
		return f, f.Node().Data().(*fcm.File)
	}
	dict, dictFCM := mk("/dict", 50)
	defer dict.Close()
	stream, streamFCM := mk("/stream", 200)
	defer stream.Close()
	reg.Policy(fcm.PolicySequential).SetOn(true)
	readAll := func(f *fs.File, pages int) {
		t.Helper()
		for p := 0; p < pages; p++ {
			_, err := f.ReadAt(make([]byte, fs.PageSize), int64(p)*fs.PageSize)
			require.NoError(t, err)
		}
	}
	for i := 0; i < 5; i++ {
		readAll(dict, 50)
	}
	readAll(stream, 20)
	reg.Worker().Wait()
	require.Equal(t, fcm.ImplSingle, streamFCM.Impl(), "20 pages of a 200-page file")
	readAll(stream, 21)
	reg.Worker().Wait()
	require.Equal(t, fcm.ImplSingle, dictFCM.Impl(), "a 50-page file read whole 5 times")
	require.Equal(t, fcm.ImplSequential, streamFCM.Impl(), "21 pages of a 200-page file in a 1,024-page cache")
}
