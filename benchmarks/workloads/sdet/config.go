package sdet

import "fmt"

// Defaults of Config's zero fields, and the bounds Validate holds it to.
const (
	DefaultSourceFiles = 200
	DefaultSystemFiles = 150

	MinSourceFiles = 20
	MinSystemFiles = 10
	MaxFiles       = 100_000
	MaxScripts     = 4096
	MaxRepeat      = 1000
)

// Config is one SDET configuration. SourceFiles, SystemFiles and Repeat
// take their defaults when zero; Scripts has none.
type Config struct {
	// Scripts is how many scripts run at once: the N of N-way SDET.
	Scripts int
	// Seed fixes the trees Setup writes and every script's choices:
	// script i's random source is seeded with Seed+i.
	Seed uint64
	// SourceFiles is how many files the template source tree has (each
	// home is a copy of it): 0 for DefaultSourceFiles.
	SourceFiles int
	// SystemFiles is how many files the shared system tree has, the
	// dictionary included: 0 for DefaultSystemFiles.
	SystemFiles int
	// Repeat is how many times each script runs the mix, each time in
	// its own shuffled order: 0 for once.
	Repeat int
}

// Validate reports the first field of c that SDET cannot run with, by
// name.
func (c Config) Validate() error {
	switch {
	case c.Scripts < 1 || c.Scripts > MaxScripts:
		return fmt.Errorf("sdet: Config.Scripts %d: must be 1 to %d", c.Scripts, MaxScripts)
	case c.SourceFiles != 0 && (c.SourceFiles < MinSourceFiles || c.SourceFiles > MaxFiles):
		return fmt.Errorf("sdet: Config.SourceFiles %d: must be 0 (for %d) or %d to %d",
			c.SourceFiles, DefaultSourceFiles, MinSourceFiles, MaxFiles)
	case c.SystemFiles != 0 && (c.SystemFiles < MinSystemFiles || c.SystemFiles > MaxFiles):
		return fmt.Errorf("sdet: Config.SystemFiles %d: must be 0 (for %d) or %d to %d",
			c.SystemFiles, DefaultSystemFiles, MinSystemFiles, MaxFiles)
	case c.Repeat < 0 || c.Repeat > MaxRepeat:
		return fmt.Errorf("sdet: Config.Repeat %d: must be 0 (for 1) to %d", c.Repeat, MaxRepeat)
	}
	return nil
}

// WithDefaults returns c with its zero SourceFiles, SystemFiles and
// Repeat set to their defaults.
func (c Config) WithDefaults() Config {
	if c.SourceFiles == 0 {
		c.SourceFiles = DefaultSourceFiles
	}
	if c.SystemFiles == 0 {
		c.SystemFiles = DefaultSystemFiles
	}
	if c.Repeat == 0 {
		c.Repeat = 1
	}
	return c
}

// CommandsPerScript is how many commands of the mix each script runs:
// MixSize times Repeat (the clone and the final removal not counted).
func (c Config) CommandsPerScript() int { return MixSize * c.WithDefaults().Repeat }

// MixEntry is one line of the mix: a command and how many times a script
// runs it a repetition.
type MixEntry struct {
	Name  string
	Count int
}

// mix is the package doc's table.
var mix = [...]MixEntry{
	{"edit", 4}, {"make", 2}, {"grep", 3}, {"ls", 3}, {"find", 2},
	{"cat", 3}, {"cp", 2}, {"mv", 2}, {"mkdir", 2}, {"rm", 2},
	{"wc", 2}, {"sort", 2}, {"diff", 2}, {"spell", 1}, {"print", 2},
}

// MixSize is the number of commands in one repetition of the mix.
const MixSize = 34

// Mix returns the mix, in the package doc's order.
func Mix() []MixEntry { return append([]MixEntry(nil), mix[:]...) }
