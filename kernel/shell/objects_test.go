package shell

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"k42/reconfig"
	"k42/reconfig/generation"
	"k42/reconfig/platform"
	"k42/reconfig/testcomp"
)

func TestObjectCommandsAttachDetachSwapLive(t *testing.T) {
	d, err := generation.New(platform.Host(), 2)
	require.NoError(t, err)
	tab := reconfig.NewTable(d)
	e, err := reconfig.Create[testcomp.Counter](tab, "demo/counter", testcomp.CounterInterface, new(testcomp.AtomicCounter))
	require.NoError(t, err)

	var out bytes.Buffer
	s := New(&fake{halted: -1}, &out)
	s.AddObjects(tab)
	call := func(n int) {
		for i := 0; i < n; i++ {
			d.Do(func() { e.Ref().Get().Add(context.Background(), 1) })
		}
	}

	s.Exec("attach demo/counter count")
	s.Exec("attach demo/counter profile")
	call(10)
	s.Exec("objects")
	require.Regexp(t, `demo/counter\s+testcomp.Counter\s+\*testcomp.AtomicCounter\s+count,profile\s+10\s+0`, out.String())
	s.Exec("profile demo/counter")
	require.Contains(t, out.String(), "Add: 10 calls")
	s.Exec("swap demo/counter")
	s.Exec("detach demo/counter count")
	s.Exec("detach demo/counter count")
	require.Contains(t, out.String(), "detached")
	require.Contains(t, out.String(), "k42: detach: demo/counter has no count wrapper attached")
	out.Reset()
	s.Exec("objects")
	require.Regexp(t, `demo/counter.*\sprofile\s+-\s+1\n`, out.String(), "the counter is gone, one swap done")
	out.Reset()
	s.Exec("attach nosuch count")
	s.Exec("attach demo/counter frob")
	require.Contains(t, out.String(), `no object "nosuch"`)
	require.Contains(t, out.String(), `no wrapper "frob"`)
	require.True(t, strings.Count(out.String(), "k42: ") == 2)
}
