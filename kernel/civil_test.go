package kernel

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func TestDaysFromCivil(t *testing.T) {
	for _, d := range []time.Time{
		time.Date(1970, 1, 1, 0, 0, 0, 0, time.UTC),
		time.Date(2000, 2, 29, 0, 0, 0, 0, time.UTC),
		time.Date(2026, 11, 28, 0, 0, 0, 0, time.UTC),
		time.Date(1969, 12, 31, 0, 0, 0, 0, time.UTC),
	} {
		require.Equal(t, d.Unix()/86400, daysFromCivil(int64(d.Year()), int64(d.Month()), int64(d.Day())), d.String())
	}
}
