package sys

import (
	"strings"

	"k42/kernel"
)

func init() { isOption = func(w string) bool { return kernel.IsOptionWord([]byte(w)) } }

// bootWords returns the boot-argument words as laid out on the initial
// stack.
func bootWords() []string {
	b := kernel.BootArgBytes()
	if len(b) == 0 {
		return nil
	}
	return strings.Split(string(b[:len(b)-1]), "\x00")
}

// BootOptions returns the kernel options given at boot, other than
// argv0 and env, each as "NAME" or "NAME=VALUE" without the k42. prefix,
// in the order given.
func BootOptions() []string { return optionsIn(bootWords()) }

// Option returns the value of kernel option name as given at boot (the
// last one wins) and whether it was given; a flag given without "=" has
// the value "".
func Option(name string) (string, bool) { return optionIn(BootOptions(), name) }

// CheckOptions reports the first boot option that no subsystem defined.
func CheckOptions() error { return checkOptions(BootOptions()) }
