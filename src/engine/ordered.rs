//! Items processed on polars' pool in any order and consumed in order, with
//! the workers at most a few items ahead of the consumer, so memory holds a
//! few items, not all of them.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Condvar, Mutex, mpsc};

use super::error::EngineError;

/// Items ahead of the consumer, per thread.
const LOOKAHEAD: usize = 2;

/// `process(i)` for every `i < count` on the pool's threads, each taking
/// the next item as it frees up; `consume` gets the results in item order
/// on a thread of its own. The first error stops both sides.
///
/// Workers block while they are too far ahead, so neither `process` nor
/// `consume` may wait on the pool (nested parallel work there deadlocked a
/// 1M-person run: the consumer waited for the pool, whose threads all
/// waited for the consumer).
pub(super) fn in_order<T: Send>(
    count: usize,
    process: impl Fn(usize) -> Result<T, EngineError> + Sync,
    mut consume: impl FnMut(T) -> Result<(), EngineError> + Send,
) -> Result<(), EngineError> {
    let pool = &polars_core::runtime::THREAD_POOL;
    let threads = pool.current_num_threads().max(1);
    let lookahead = LOOKAHEAD * threads;
    let next = AtomicUsize::new(0);
    // Items consumed so far; workers wait on it.
    let consumed = (Mutex::new(0usize), Condvar::new());
    let failed = AtomicBool::new(false);
    let (tx, rx) = mpsc::channel::<(usize, Result<T, EngineError>)>();
    std::thread::scope(|s| {
        let (consumed_ref, failed_ref) = (&consumed, &failed);
        let consumer = s.spawn(move || {
            let (consumed, failed) = (consumed_ref, failed_ref);
            let mut pending: BTreeMap<usize, T> = BTreeMap::new();
            let mut done = 0;
            let result = (|| {
                while done < count {
                    let Ok((i, result)) = rx.recv() else {
                        return Err(EngineError::Internal(
                            "workers stopped before the last item".to_owned(),
                        ));
                    };
                    pending.insert(i, result?);
                    while let Some(item) = pending.remove(&done) {
                        consume(item)?;
                        done += 1;
                        *consumed.0.lock().unwrap_or_else(|e| e.into_inner()) = done;
                        consumed.1.notify_all();
                    }
                }
                Ok(())
            })();
            if result.is_err() {
                // Under the lock, so a worker cannot miss it between its
                // check and its wait.
                let guard = consumed.0.lock().unwrap_or_else(|e| e.into_inner());
                failed.store(true, Ordering::Release);
                drop(guard);
                consumed.1.notify_all();
            }
            result
        });
        pool.install(|| {
            rayon::scope(|scope| {
                for _ in 0..threads {
                    let tx = tx.clone();
                    let (next, consumed, failed, process) = (&next, &consumed, &failed, &process);
                    scope.spawn(move |_| {
                        loop {
                            let i = next.fetch_add(1, Ordering::AcqRel);
                            if i >= count {
                                break;
                            }
                            // Wait until the consumer is close enough behind.
                            let (lock, cvar) = consumed;
                            let mut done = lock.lock().unwrap_or_else(|e| e.into_inner());
                            while i >= *done + lookahead && !failed.load(Ordering::Acquire) {
                                done = cvar.wait(done).unwrap_or_else(|e| e.into_inner());
                            }
                            drop(done);
                            if failed.load(Ordering::Acquire) {
                                break;
                            }
                            let result = process(i);
                            let stop = result.is_err();
                            if tx.send((i, result)).is_err() || stop {
                                break;
                            }
                        }
                    });
                }
            });
        });
        drop(tx);
        consumer.join().unwrap_or_else(|_| {
            Err(EngineError::Internal(
                "the output writer thread panicked".to_owned(),
            ))
        })
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn results_reach_the_consumer_in_item_order_though_workers_finish_out_of_order() {
        let mut seen = Vec::new();
        in_order(
            50,
            |i| {
                // Later items finish first now and then.
                if i % 7 == 0 {
                    std::thread::sleep(std::time::Duration::from_millis(2));
                }
                Ok(i * 10)
            },
            |v| {
                seen.push(v);
                Ok(())
            },
        )
        .unwrap();
        assert_eq!(seen, (0..50).map(|i| i * 10).collect::<Vec<_>>());
    }

    #[test]
    fn the_first_error_of_a_worker_or_of_the_consumer_is_returned() {
        let err = in_order(
            1000,
            |i| {
                if i == 3 {
                    Err(EngineError::Internal("item 3".into()))
                } else {
                    Ok(i)
                }
            },
            |_| Ok(()),
        )
        .unwrap_err();
        assert_eq!(err.to_string(), "item 3");
        let err = in_order(10, Ok, |v| {
            if v == 5 {
                Err(EngineError::Internal("consumer".into()))
            } else {
                Ok(())
            }
        })
        .unwrap_err();
        assert_eq!(err.to_string(), "consumer");
    }
}
