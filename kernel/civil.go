package kernel

// daysFromCivil returns the days from 1970-01-01 to the given date of the
// proleptic Gregorian calendar (Howard Hinnant's algorithm).
func daysFromCivil(y, m, d int64) int64 {
	if m <= 2 {
		y--
	}
	era := y / 400
	if y < 0 && y%400 != 0 {
		era--
	}
	yoe := y - era*400
	mp := (m + 9) % 12
	doy := (153*mp+2)/5 + d - 1
	doe := yoe*365 + yoe/4 - yoe/100 + doy
	return era*146097 + doe - 719468
}

// Wall clock at boot: nanoseconds since the epoch, and the timebase (in
// nanoseconds) when it was read.
var bootEpochNs, bootTBNs int64
