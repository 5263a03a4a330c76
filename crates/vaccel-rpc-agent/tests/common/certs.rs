//! Certificates for the TLS tests, made with rcgen into a directory: a CA, the agent's
//! certificate (127.0.0.1 and localhost), a client certificate of that CA, and a second CA with
//! a client certificate of its own (one the agent must refuse).

use std::path::{Path, PathBuf};

use rcgen::{BasicConstraints, CertificateParams, IsCa, KeyPair};

/// The files (each test binary uses some of them).
#[allow(dead_code)]
pub struct Certs {
    pub ca: PathBuf,
    pub server_cert: PathBuf,
    pub server_key: PathBuf,
    pub client_cert: PathBuf,
    pub client_key: PathBuf,
    pub other_ca: PathBuf,
    pub other_cert: PathBuf,
    pub other_key: PathBuf,
}

fn new_ca() -> (rcgen::Certificate, KeyPair) {
    let key = KeyPair::generate().unwrap();
    let mut params = CertificateParams::new(Vec::<String>::new()).unwrap();
    params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    (params.self_signed(&key).unwrap(), key)
}

fn leaf(names: &[&str], ca: &rcgen::Certificate, ca_key: &KeyPair) -> (String, String) {
    let key = KeyPair::generate().unwrap();
    let params =
        CertificateParams::new(names.iter().map(|s| s.to_string()).collect::<Vec<_>>()).unwrap();
    let cert = params.signed_by(&key, ca, ca_key).unwrap();
    (cert.pem(), key.serialize_pem())
}

pub fn make(dir: &Path) -> Certs {
    let w = |name: &str, text: &str| {
        let p = dir.join(name);
        std::fs::write(&p, text).unwrap();
        p
    };
    let (ca, ca_key) = new_ca();
    let (server_cert, server_key) = leaf(&["127.0.0.1", "localhost"], &ca, &ca_key);
    let (client_cert, client_key) = leaf(&["client"], &ca, &ca_key);
    let (other, other_key) = new_ca();
    let (other_cert, other_leaf_key) = leaf(&["intruder"], &other, &other_key);
    Certs {
        ca: w("ca.pem", &ca.pem()),
        server_cert: w("server.pem", &server_cert),
        server_key: w("server.key", &server_key),
        client_cert: w("client.pem", &client_cert),
        client_key: w("client.key", &client_key),
        other_ca: w("other-ca.pem", &other.pem()),
        other_cert: w("other.pem", &other_cert),
        other_key: w("other.key", &other_leaf_key),
    }
}
