//go:build !amd64 || purego

package gemm

func bestKernel() *kernel { return goKernel }

// kernels lists the kernels this build can run on this CPU, best last.
func kernels() []*kernel { return []*kernel{goKernel} }
