package main

import (
	"fmt"
	_ "k42/boot"
	"os"
)

func main() {
	fmt.Println("hello from Go on bare metal", os.Args)
}
