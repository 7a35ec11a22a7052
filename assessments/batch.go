package assessments

import (
	"cmp"
	"context"
	"errors"
	"slices"
	"sync"

	"gorm.io/gorm"
)

// Group commit.
//
// Answer saves and approvals are small, frequent writes, and each used to be
// its own transaction: one fsync per save (synchronous=FULL, so that an
// acknowledged save survives power loss) made the disk, not the CPU, the
// limit, at a small fraction of what the database can commit. So they
// queue to one writer goroutine per kind and store, which applies
// everything that queued while the previous commit ran in ONE transaction
// and one commit, and only then answers each caller. Under load a batch is
// as large as the queue; alone, a save waits for nothing.
//
// Each job keeps its own checks and answer: its checks (may it, is it
// still that version, is the input valid) all come before its first write,
// so a refused job (a 409, a 422) has written nothing and the batch goes
// on without it. Any other error (the database's) fails the transaction,
// and every job of the batch is then run again in a transaction of its
// own, so that one job's failure is never another's. Nothing is answered
// before the commit that holds it, and a job is never answered saved if
// that commit failed: the crash test kills the process to prove it.
//
// On PostgreSQL, several instances each have their writers; jobs lock their
// rows in key order (the assessment id), so that two batches cannot
// deadlock on each other.
type batcher struct {
	store   *Store
	jobs    chan *job // unbuffered: callers blocked on send are the queue
	quit    chan struct{}
	closing sync.Once
	// around runs a batch's jobs inside its transaction, for work done
	// once per batch (approvals sign one log checkpoint after all their
	// cards). Nil: the jobs alone.
	around func(tx *gorm.DB, jobs func(tx *gorm.DB) error) error
}

// maxBatch bounds a batch, so that the first job of a long queue is not
// kept waiting for the last.
const maxBatch = 128

// job is one caller's write in a batch.
type job struct {
	ctx  context.Context
	key  uint                    // the row it locks first
	fn   func(tx *gorm.DB) error // its checks, then its writes
	err  error
	done chan struct{}
}

func newBatcher(s *Store, around func(tx *gorm.DB, jobs func(tx *gorm.DB) error) error) *batcher {
	b := &batcher{store: s, jobs: make(chan *job), quit: make(chan struct{}), around: around}
	go b.run()
	return b
}

// do queues fn and returns once the transaction that ran it has committed
// (nil) or fn's own error, which leaves nothing written.
func (b *batcher) do(ctx context.Context, key uint, fn func(tx *gorm.DB) error) error {
	j := &job{ctx: ctx, key: key, fn: fn, done: make(chan struct{})}
	select {
	case b.jobs <- j:
	case <-ctx.Done():
		return ctx.Err()
	case <-b.quit:
		return errors.New("the store is closed")
	}
	// Once the writer has it, the answer waits for the commit even if the
	// caller has gone: the job may be in it.
	<-j.done
	return j.err
}

func (b *batcher) run() {
	for {
		var batch []*job
		select {
		case j := <-b.jobs:
			batch = append(batch, j)
		case <-b.quit:
			return
		}
	collect:
		for len(batch) < maxBatch {
			select {
			case j := <-b.jobs:
				batch = append(batch, j)
			default:
				break collect
			}
		}
		b.commit(batch)
		for _, j := range batch {
			close(j.done)
		}
	}
}

// commit runs a batch in one transaction, or each job alone if that fails.
func (b *batcher) commit(batch []*job) {
	slices.SortStableFunc(batch, func(x, y *job) int { return cmp.Compare(x.key, y.key) })
	err := b.transaction(batch)
	if err == nil || len(batch) == 1 {
		if err != nil {
			batch[0].err = err
		}
		return
	}
	for _, j := range batch {
		if err := b.transaction([]*job{j}); err != nil {
			j.err = err
		}
	}
}

// transaction runs jobs in one transaction. A job's refusal is kept as its
// answer; any other error rolls everything back and is returned.
func (b *batcher) transaction(batch []*job) error {
	for _, j := range batch {
		j.err = nil
	}
	// No caller's cancellation may cut short the others' transaction.
	ctx := context.WithoutCancel(batch[0].ctx)
	return b.store.write(ctx, func(tx *gorm.DB) error {
		jobs := func(tx *gorm.DB) error {
			for _, j := range batch {
				if err := j.ctx.Err(); err != nil {
					j.err = err // gave up while queued: never started
					continue
				}
				if err := j.fn(tx); err != nil {
					if !refusal(err) {
						return err
					}
					j.err = err
				}
			}
			return nil
		}
		if b.around != nil {
			return b.around(tx, jobs)
		}
		return jobs(tx)
	})
}

// refusal reports whether err is a job's own answer (a domain check that
// failed before it wrote anything) rather than the database's failure.
func refusal(err error) bool {
	var ve *ValidationError
	var ce *ConflictError
	var ie *IncompleteError
	return errors.As(err, &ve) || errors.As(err, &ce) || errors.As(err, &ie) ||
		errors.Is(err, ErrNotFound) || errors.Is(err, ErrForbidden) || errors.Is(err, ErrReadOnly) || errors.Is(err, ErrDuplicate)
}

func (b *batcher) close() { b.closing.Do(func() { close(b.quit) }) }
