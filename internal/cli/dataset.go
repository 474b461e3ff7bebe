package cli

import (
	"flag"
	"fmt"
	"strings"

	"convscope/mnist"
)

// datasetFlag is --dataset NAME: it sets the data folder (what --data
// holds) to the named set's, mnist.DatasetDir. --data and --dataset name
// the same thing, so giving both is refused whatever their order: dataGuard
// wraps --data's value to see it.
type datasetFlag struct {
	name string
	data *string
	// find resolves mnist to its folder in the module cache rather than to
	// "" (eval and explore read "" as "the checkpoint's data set").
	find    bool
	dataSet bool // --data was given
}

func (f *datasetFlag) String() string {
	if f == nil || f.name == "" {
		return mnist.MNIST
	}
	return f.name
}

func (f *datasetFlag) Set(v string) error {
	if f.dataSet {
		return errDataBoth
	}
	dir, err := mnist.DatasetDir(v)
	if err != nil {
		return err
	}
	if dir == "" && f.find {
		if dir, err = mnist.Find(); err != nil {
			return err
		}
	}
	f.name, *f.data = strings.ToLower(strings.TrimSpace(v)), dir
	return nil
}

// errDataBoth is --data given with --dataset.
var errDataBoth = fmt.Errorf("give --data DIR or --dataset NAME, not both")

// dataGuard is --data's value, refusing a --dataset given before it.
type dataGuard struct {
	flag.Value
	ds *datasetFlag
}

func (g dataGuard) Set(v string) error {
	if g.ds.name != "" {
		return errDataBoth
	}
	g.ds.dataSet = true
	return g.Value.Set(v)
}

// registerDataset adds --dataset to fs, which must already have --data
// filling data. With find, --dataset mnist names the module cache folder
// instead of leaving data empty.
func registerDataset(fs *flag.FlagSet, data *string, find bool) {
	ds := &datasetFlag{data: data, find: find}
	if fl := fs.Lookup("data"); fl != nil {
		fl.Value = dataGuard{fl.Value, ds}
	}
	fs.Var(ds, "dataset", "named data set: "+mnist.MNIST+" (the Go module cache copy, the default) or "+mnist.Fashion+
		" (Fashion-MNIST in "+mnist.DefaultFashionDir+": "+mnist.FashionInstall+"); --data DIR reads any other folder")
}

// String is --data's value; the zero dataGuard (flag's help printer makes
// one to find the default) prints as empty.
func (g dataGuard) String() string {
	if g.Value == nil {
		return ""
	}
	return g.Value.String()
}
