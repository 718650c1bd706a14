package controllerutil

import (
	"errors"
	"sync"
)

// SlowStartBatch calls fn count times, in batches of initial, 2·initial,
// 4·initial, … calls run concurrently; it stops before the next batch once
// a call has failed, so that a systematic failure (a quota, a bad
// template) costs few requests. It returns how many calls succeeded and
// the errors of the failed ones, joined.
func SlowStartBatch(count, initial int, fn func() error) (int, error) {
	remaining := count
	successes := 0
	for batch := min(remaining, max(initial, 1)); batch > 0; batch = min(2*batch, remaining) {
		var (
			wg   sync.WaitGroup
			mu   sync.Mutex
			errs []error
		)
		for range batch {
			wg.Go(func() {
				if err := fn(); err != nil {
					mu.Lock()
					errs = append(errs, err)
					mu.Unlock()
				}
			})
		}
		wg.Wait()
		successes += batch - len(errs)
		if len(errs) > 0 {
			return successes, errors.Join(errs...)
		}
		remaining -= batch
	}
	return successes, nil
}
