package cli

import (
	"fmt"
	"strings"

	"convscope/mnist"
	"convscope/nn"
)

// loadData reads the training and test sets from dir ("" = the module
// cache copy), refuses an empty one, and names their classes after the
// comma-separated classes, if given (see setClassNames).
func loadData(dir, classes string) (nn.Data, error) {
	train, test, err := mnist.Load(dir)
	if err != nil {
		return nn.Data{}, err
	}
	where := dir
	if where == "" {
		where = "the MNIST copy"
	}
	switch {
	case train.N == 0:
		return nn.Data{}, fmt.Errorf("the training set in %s holds no images; give a folder with training images (--data DIR)", where)
	case test.N == 0:
		return nn.Data{}, fmt.Errorf("the test set in %s holds no images; give a folder with test images (--data DIR)", where)
	}
	data := nn.Data{Train: train, Test: test}
	return data, setClassNames(data, classes)
}

// setClassNames replaces the class names of both sets with the
// comma-separated names in list ("" leaves them as they are). There must be
// a name for every label in the sets. Control characters are dropped.
func setClassNames(data nn.Data, list string) error {
	if list == "" {
		return nil
	}
	names := strings.Split(list, ",")
	for i, n := range names {
		names[i] = mnist.CleanName(n)
		if names[i] == "" {
			return fmt.Errorf("--classes: name %d of %q is empty, want one name per class", i+1, list)
		}
	}
	need := 0
	for _, s := range []*mnist.Set{data.Train, data.Test} {
		for _, l := range s.Labels {
			need = max(need, int(l)+1)
		}
	}
	if len(names) < need {
		return fmt.Errorf("--classes: got %d names, want at least %d (the labels go up to %d)", len(names), need, need-1)
	}
	if len(names) > 256 {
		return fmt.Errorf("--classes: got %d names, want at most 256", len(names))
	}
	data.Train.Classes, data.Test.Classes = names, names
	return nil
}

// checkData reports why net cannot run on set: another image size, or a
// label the network has no output for.
func checkData(net *nn.Net, set *mnist.Set, what string) error {
	if set.Rows != net.Input.H || set.Cols != net.Input.W {
		return fmt.Errorf("the model takes %dx%d images, the %s set has %dx%d", net.Input.H, net.Input.W, what, set.Rows, set.Cols)
	}
	k := net.Classes()
	for i, l := range set.Labels[:set.N] {
		if int(l) >= k {
			return fmt.Errorf("the model has %d classes, but %s image %d has label %d", k, what, i, l)
		}
	}
	return nil
}

// namesFor are the class names to show for a model of k classes: names
// given (--classes), else those the checkpoint recorded, else the data
// set's own.
func namesFor(k int, given string, saved []string, data nn.Data) []string {
	if given == "" && len(saved) >= k {
		return saved
	}
	return data.Test.Classes
}
