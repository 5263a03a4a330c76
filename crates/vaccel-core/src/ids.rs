//! Bounded id pools (spec §8.2).
//!
//! Ids grow monotonically from 1 so that a fresh process always sees session 1, resource 1;
//! released ids are reused only once the pool has reached its top. The pool is a fixed-size
//! bitmap, so memory is bounded by the pool size whatever the churn.

use crate::{Error, Result};

/// A pool of ids `1..=max`.
#[derive(Debug)]
pub struct IdPool {
    max: i64,
    next: i64,
    in_use: Vec<bool>,
}

impl IdPool {
    /// A pool handing out `1..=max`.
    pub fn new(max: i64) -> IdPool {
        IdPool {
            max,
            next: 1,
            in_use: vec![false; max as usize + 1],
        }
    }

    /// Takes an id: the next fresh one, or once the top is reached the lowest free one.
    pub fn get(&mut self) -> Result<i64> {
        if self.next <= self.max {
            let id = self.next;
            self.next += 1;
            self.in_use[id as usize] = true;
            return Ok(id);
        }
        crate::warn!("Reached max ID ({})", self.max);
        crate::warn!("Trying to reclaim lower IDs");
        let id = (1..=self.max)
            .find(|&i| !self.in_use[i as usize])
            .ok_or(Error::EUSERS)?;
        self.in_use[id as usize] = true;
        Ok(id)
    }

    /// Returns an id to the pool; ids not taken from it are ignored.
    pub fn put(&mut self, id: i64) {
        if (1..=self.max).contains(&id) {
            self.in_use[id as usize] = false;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn monotonic_then_reclaims_then_exhausts() {
        let mut p = IdPool::new(3);
        assert_eq!(p.get(), Ok(1));
        assert_eq!(p.get(), Ok(2));
        p.put(1);
        assert_eq!(p.get(), Ok(3), "freed ids are not reused before the top");
        assert_eq!(p.get(), Ok(1), "then the lowest free id is reclaimed");
        assert_eq!(p.get(), Err(Error::EUSERS));
        p.put(2);
        assert_eq!(p.get(), Ok(2));
        p.put(99);
        p.put(0);
    }
}
