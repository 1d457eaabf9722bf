module k42

go 1.26.0

require (
	github.com/stretchr/testify v1.12.1
	golang.org/x/arch v0.33.0
)

require (
	go.yaml.in/yaml/v3 v3.0.5 // indirect
	golang.org/x/sys v0.50.0 // indirect
	golang.org/x/term v0.48.0 // indirect
)
