//! `SecretBox` and `MasterKey`: round trip, tamper detection, wrong key, file permissions.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "tests fail by panicking"
)]

use std::os::unix::fs::PermissionsExt;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use fedgate_store::testing::random_hex;
use fedgate_store::{MasterKey, SecretBox, StoreError};

fn temp_dir() -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("fedgate-secret-test-{}", random_hex(8)));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

#[test]
fn round_trips_and_uses_a_fresh_nonce_each_time() {
    let sealer = SecretBox::new(&MasterKey::generate().unwrap()).unwrap();
    let a = sealer.seal("AKIA1", b"wJalrXUtnFEMI").unwrap();
    let b = sealer.seal("AKIA1", b"wJalrXUtnFEMI").unwrap();
    assert_ne!(a, b);
    assert_eq!(sealer.open("AKIA1", &a).unwrap().expose(), b"wJalrXUtnFEMI");
    assert_eq!(sealer.open("AKIA1", &b).unwrap().expose(), b"wJalrXUtnFEMI");
    assert!(!a.contains("wJalr"));
}

#[test]
fn rejects_every_single_bit_flip() {
    let sealer = SecretBox::new(&MasterKey::generate().unwrap()).unwrap();
    let sealed = STANDARD
        .decode(sealer.seal("row", b"secret value").unwrap())
        .unwrap();
    for index in 0..sealed.len() {
        let mut tampered = sealed.clone();
        tampered[index] ^= 0x01;
        let error = sealer.open("row", &STANDARD.encode(&tampered)).unwrap_err();
        assert!(
            matches!(error, StoreError::Decrypt { .. }),
            "byte {index}: {error:?}"
        );
    }
}

#[test]
fn rejects_truncation_and_garbage() {
    let sealer = SecretBox::new(&MasterKey::generate().unwrap()).unwrap();
    let sealed = STANDARD.decode(sealer.seal("row", b"x").unwrap()).unwrap();
    for length in 0..sealed.len() {
        let error = sealer
            .open("row", &STANDARD.encode(&sealed[..length]))
            .unwrap_err();
        assert!(matches!(
            error,
            StoreError::Corrupt { .. } | StoreError::Decrypt { .. }
        ));
    }
    assert_eq!(
        sealer.open("row", "not base64!").unwrap_err().code(),
        "corrupt"
    );
}

#[test]
fn rejects_another_rows_associated_data() {
    let sealer = SecretBox::new(&MasterKey::generate().unwrap()).unwrap();
    let sealed = sealer.seal("AKIA1", b"secret").unwrap();
    assert_eq!(
        sealer.open("AKIA2", &sealed).unwrap_err().code(),
        "decrypt_failed"
    );
}

#[test]
fn rejects_the_wrong_master_key() {
    let sealed = SecretBox::new(&MasterKey::generate().unwrap())
        .unwrap()
        .seal("row", b"secret")
        .unwrap();
    let other = SecretBox::new(&MasterKey::generate().unwrap()).unwrap();
    let error = other.open("row", &sealed).unwrap_err();
    assert_eq!(error.code(), "decrypt_failed");
    assert!(!error.to_string().contains("secret\""));
}

#[test]
fn creates_master_key_with_mode_0600_and_reloads_it() {
    let dir = temp_dir();
    let path = dir.join("master.key");
    let created = MasterKey::load_or_create(&path).unwrap();
    let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o600);
    assert_eq!(std::fs::metadata(&path).unwrap().len(), 32);
    let reloaded = MasterKey::load_or_create(&path).unwrap();
    let sealed = SecretBox::new(&created).unwrap().seal("r", b"v").unwrap();
    assert_eq!(
        SecretBox::new(&reloaded)
            .unwrap()
            .open("r", &sealed)
            .unwrap()
            .expose(),
        b"v"
    );
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn refuses_master_key_readable_by_others_or_of_wrong_length() {
    let dir = temp_dir();
    let path = dir.join("master.key");
    std::fs::write(&path, [1_u8; 32]).unwrap();
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
    assert_eq!(
        MasterKey::load_or_create(&path).unwrap_err().code(),
        "master_key"
    );
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o640)).unwrap();
    assert_eq!(
        MasterKey::load_or_create(&path).unwrap_err().code(),
        "master_key"
    );
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).unwrap();
    assert!(MasterKey::load_or_create(&path).is_ok());
    std::fs::write(&path, [1_u8; 31]).unwrap();
    assert_eq!(
        MasterKey::load_or_create(&path).unwrap_err().code(),
        "master_key"
    );
    std::fs::write(&path, [1_u8; 33]).unwrap();
    assert_eq!(
        MasterKey::load_or_create(&path).unwrap_err().code(),
        "master_key"
    );
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn master_key_from_base64() {
    let text = STANDARD.encode([9_u8; 32]);
    assert!(MasterKey::from_base64(&text).is_ok());
    assert!(MasterKey::from_base64(&STANDARD.encode([9_u8; 16])).is_err());
    assert!(MasterKey::from_base64("***").is_err());
}
