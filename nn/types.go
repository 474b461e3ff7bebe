package nn

import "time"

// ProgressKind says what a Progress report is about.
type ProgressKind int

const (
	// BatchProgress is a periodic report during an epoch (at most about 10 a second).
	BatchProgress ProgressKind = iota
	// EpochDone is sent once per epoch, after the test-set evaluation; Progress.Stats is set.
	EpochDone
)

// Progress is what Train reports through its callback. It is a plain value:
// the callback may keep it. Stats (and its Eval) are fresh copies owned by the receiver.
type Progress struct {
	Kind    ProgressKind
	Epoch   int     // 1-based epoch number
	Epochs  int     // total epochs of the run
	Batch   int     // batches done in this epoch
	Batches int     // batches per epoch
	Seen    int     // training images seen in this epoch
	Total   int     // training images per epoch
	LR      float64 // learning rate of the last batch (BatchProgress only)

	TrainLoss float64 // running mean over this epoch so far
	TrainAcc  float64 // running accuracy over this epoch so far, 0..1

	ImagesPerSec float64       // training throughput this epoch
	Elapsed      time.Duration // wall time spent in this epoch (pauses excluded)

	Stats *EpochStats // set when Kind == EpochDone
}

// EpochStats are the figures of one finished epoch.
type EpochStats struct {
	Epoch        int     `json:"epoch"`
	TrainLoss    float64 `json:"train_loss"`
	TrainAcc     float64 `json:"train_acc"`
	TestLoss     float64 `json:"test_loss"`
	TestAcc      float64 `json:"test_acc"`
	Seconds      float64 `json:"seconds"` // training time of the epoch, evaluation excluded
	ImagesPerSec float64 `json:"images_per_second"`
	EvalSeconds  float64 `json:"eval_seconds"`
	LR           float64 `json:"lr"`

	Eval *Eval `json:"-"`
}

// Eval is the evaluation of a network on a labelled set.
type Eval struct {
	Loss float64 // mean cross-entropy
	Acc  float64 // 0..1
	N    int     // number of images
	K    int     // number of classes

	// Confusion[t][p] counts images of true class t predicted as p.
	Confusion [][]int
	// Classes holds per-class figures derived from Confusion.
	Classes []ClassStats
	// Macro holds the unweighted mean of Precision, Recall, F1 and Accuracy over classes.
	Macro ClassStats

	Labels []uint8   // true class of each image, length N
	Pred   []uint8   // predicted class of each image, length N
	Probs  []float32 // softmax probabilities, N*K, row per image
	Losses []float32 // per-image cross-entropy, length N
}

// ClassStats are one class's one-vs-rest figures (the paper's table).
type ClassStats struct {
	TP, FP, FN, TN int
	Precision      float64
	Recall         float64
	F1             float64
	Accuracy       float64 // (TP+TN)/N
}
