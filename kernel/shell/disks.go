package shell

import (
	"fmt"
	"text/tabwriter"

	"k42/kernel"
)

// Disks is what the console knows of the disks: the list, and how to make
// everything written so far durable on them.
type Disks struct {
	List func() []kernel.DiskInfo
	// Sync writes every dirty page back and flushes every disk; it
	// returns a line saying what it did.
	Sync func() (string, error)
}

// AddDisks registers the disks and sync commands.
func (s *Shell) AddDisks(d Disks) {
	s.Register(Command{Name: "disks", Help: "every disk: name, model, size, block size, PCI address, interrupts, role, requests and bytes moved",
		Run: func(s *Shell, args []string) error {
			if len(args) != 0 {
				return errUsage
			}
			list := d.List()
			if len(list) == 0 {
				fmt.Fprintln(s.Out, "no disks (the runner attaches one with -disk FILE)")
				return nil
			}
			w := tabwriter.NewWriter(s.Out, 0, 8, 2, ' ', 0)
			fmt.Fprintln(w, "name\tmodel\tsize\tblock\tpci\tinterrupts\trole\treads\twrites\tflushes\tread\twritten\t")
			for _, k := range list {
				fmt.Fprintf(w, "%s\t%s\t%s\t%d\t%s\t%s\t%s\t%d\t%d\t%d\t%s\t%s\t\n", k.Name, k.Model, sizeString(k.Bytes), k.BlockSize,
					k.PCI, k.Interrupts, k.Role, k.Reads, k.Writes, k.Flushes, sizeString(k.BytesRead), sizeString(k.BytesWritten))
			}
			return w.Flush()
		}})
	s.Register(Command{Name: "sync", Help: "write every dirty page back and flush every disk",
		Run: func(s *Shell, args []string) error {
			if len(args) != 0 {
				return errUsage
			}
			line, err := d.Sync()
			if err != nil {
				return err
			}
			fmt.Fprintln(s.Out, line)
			return nil
		}})
}

// sizeString is n bytes in the largest binary unit that keeps it whole
// to a tenth.
func sizeString(n int64) string {
	switch {
	case n >= 1<<30:
		return fmt.Sprintf("%.1fG", float64(n)/(1<<30))
	case n >= 1<<20:
		return fmt.Sprintf("%.1fM", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%.1fK", float64(n)/(1<<10))
	}
	return fmt.Sprintf("%dB", n)
}
