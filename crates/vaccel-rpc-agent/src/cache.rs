//! The content-addressed blob cache of the `blob-cache-sha256` extension
//! ([`vaccel_rpc_proto::ext`]).
//!
//! Blobs that a client registers with a digest are kept here, under the SHA-256 the agent
//! computed itself (never the client's word alone), so that a later registration of the same
//! bytes — from any client — can name them instead of sending them. The cache holds at most
//! `VACCEL_RPC_AGENT_CACHE` bytes (default [`DEFAULT_LIMIT`], `K`/`M`/`G`/`T` suffixes; `0`
//! turns the extension off), evicting the least recently used blobs first. The bytes are slices
//! of the request frames they arrived in (no copy).

use std::collections::HashMap;
use std::sync::Mutex;

use vaccel_rpc_proto::bytes::Bytes;
use vaccel_rpc_proto::ext::{self, NOT_CACHED};
use vaccel_rpc_proto::resource;
use vaccel_rpc_proto::ttrpc::{Code, Status};

use crate::log::debug;
use crate::service::lock;

/// The environment variable bounding the cache (bytes, optional binary suffix).
pub const CACHE_ENV: &str = "VACCEL_RPC_AGENT_CACHE";
/// The default bound: 1 GiB.
pub const DEFAULT_LIMIT: u64 = 1 << 30;

struct Entry {
    data: Bytes,
    last_use: u64,
}

#[derive(Default)]
struct Inner {
    map: HashMap<[u8; 32], Entry>,
    bytes: u64,
    clock: u64,
}

/// Blobs by SHA-256.
pub struct BlobCache {
    limit: u64,
    inner: Mutex<Inner>,
}

impl BlobCache {
    /// A cache of at most `limit` bytes (0: disabled).
    pub fn new(limit: u64) -> BlobCache {
        BlobCache {
            limit,
            inner: Mutex::default(),
        }
    }

    /// Whether the extension is offered.
    pub fn enabled(&self) -> bool {
        self.limit > 0
    }

    /// The blob with this digest, if cached.
    pub fn get(&self, digest: &[u8; 32]) -> Option<Bytes> {
        let mut inner = lock(&self.inner);
        inner.clock += 1;
        let now = inner.clock;
        let e = inner.map.get_mut(digest)?;
        e.last_use = now;
        Some(e.data.clone())
    }

    /// Keeps `data` under `digest` (which the caller computed from `data`), evicting the least
    /// recently used blobs to stay within the limit. Blobs larger than the limit are not kept.
    pub fn put(&self, digest: [u8; 32], data: Bytes) {
        let len = data.len() as u64;
        if len > self.limit {
            return;
        }
        let mut inner = lock(&self.inner);
        inner.clock += 1;
        let now = inner.clock;
        if let Some(e) = inner.map.get_mut(&digest) {
            e.last_use = now;
            return;
        }
        while inner.bytes + len > self.limit {
            let Some((&old, _)) = inner.map.iter().min_by_key(|(_, e)| e.last_use) else {
                break;
            };
            if let Some(e) = inner.map.remove(&old) {
                inner.bytes -= e.data.len() as u64;
                debug!("Blob cache: evicted {}", ext::hex(&old));
            }
        }
        inner.bytes += len;
        inner.map.insert(
            digest,
            Entry {
                data,
                last_use: now,
            },
        );
    }

    /// Resolves an extension `RegisterResource`: every blob with a digest and no data is taken
    /// from the cache (`FAILED_PRECONDITION` "blob not cached ..." if missing); every blob with a
    /// digest and data is hashed, checked against its digest and cached. Returns the ordinary
    /// request to register.
    pub fn resolve(&self, req: ext::RegisterRequest) -> Result<resource::RegisterRequest, Status> {
        let mut base = req.request.unwrap_or_default();
        if !req.digests.is_empty() && req.digests.len() != base.blobs.len() {
            return Err(Status::new(
                Code::InvalidArgument,
                format!(
                    "{} digests for {} blobs",
                    req.digests.len(),
                    base.blobs.len()
                ),
            ));
        }
        for (blob, digest) in base.blobs.iter_mut().zip(&req.digests) {
            if digest.is_empty() {
                continue;
            }
            let Ok(digest) = <[u8; 32]>::try_from(&digest[..]) else {
                return Err(Status::new(
                    Code::InvalidArgument,
                    "a blob digest is not 32 bytes (SHA-256)",
                ));
            };
            if blob.data.is_empty() && blob.size > 0 {
                match self.get(&digest) {
                    Some(data) if data.len() == blob.size as usize => blob.data = data,
                    _ => {
                        return Err(Status::new(
                            Code::FailedPrecondition,
                            format!("{NOT_CACHED}: {}", ext::hex(&digest)),
                        ));
                    }
                }
            } else if !blob.data.is_empty() {
                if ext::sha256(&blob.data) != digest {
                    return Err(Status::new(
                        Code::InvalidArgument,
                        format!("blob `{}` does not match its digest", blob.name),
                    ));
                }
                self.put(digest, blob.data.clone());
            }
        }
        Ok(base)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reg(blobs: Vec<resource::Blob>, digests: Vec<Bytes>) -> ext::RegisterRequest {
        ext::RegisterRequest {
            request: Some(resource::RegisterRequest {
                blobs,
                session_id: 1,
                ..Default::default()
            }),
            digests,
        }
    }

    fn blob(data: &[u8], send: bool) -> resource::Blob {
        resource::Blob {
            type_: 1,
            name: "b".into(),
            data: if send {
                Bytes::copy_from_slice(data)
            } else {
                Bytes::new()
            },
            size: data.len() as u32,
        }
    }

    #[test]
    fn miss_then_hit_and_verification() {
        let c = BlobCache::new(1000);
        let data = [7u8; 300];
        let d = Bytes::copy_from_slice(&ext::sha256(&data));
        let e = c
            .resolve(reg(vec![blob(&data, false)], vec![d.clone()]))
            .unwrap_err();
        assert_eq!(e.code, Code::FailedPrecondition as i32);
        assert!(e.message.starts_with(NOT_CACHED));
        c.resolve(reg(vec![blob(&data, true)], vec![d.clone()]))
            .unwrap();
        let r = c
            .resolve(reg(vec![blob(&data, false)], vec![d.clone()]))
            .unwrap();
        assert_eq!(&r.blobs[0].data[..], &data[..]);
        // Wrong bytes under a digest are refused and not cached.
        let other = [8u8; 300];
        let e = c
            .resolve(reg(
                vec![blob(&other, true)],
                vec![Bytes::copy_from_slice(&[0u8; 32])],
            ))
            .unwrap_err();
        assert_eq!(e.code, Code::InvalidArgument as i32);
        assert!(c.get(&[0u8; 32]).is_none());
        // Blobs without a digest pass through.
        let r = c
            .resolve(reg(vec![blob(&other, true)], Vec::new()))
            .unwrap();
        assert_eq!(&r.blobs[0].data[..], &other[..]);
    }

    #[test]
    fn least_recently_used_is_evicted() {
        let c = BlobCache::new(700);
        let blobs: Vec<[u8; 300]> = (0..3u8).map(|i| [i; 300]).collect();
        let ds: Vec<[u8; 32]> = blobs.iter().map(|b| ext::sha256(b)).collect();
        c.put(ds[0], Bytes::copy_from_slice(&blobs[0]));
        c.put(ds[1], Bytes::copy_from_slice(&blobs[1]));
        assert!(c.get(&ds[0]).is_some());
        c.put(ds[2], Bytes::copy_from_slice(&blobs[2]));
        assert!(c.get(&ds[1]).is_none());
        assert!(c.get(&ds[0]).is_some() && c.get(&ds[2]).is_some());
        // Larger than the whole cache: not kept.
        c.put([9; 32], Bytes::from(vec![0u8; 701]));
        assert!(c.get(&[9; 32]).is_none());
    }
}
