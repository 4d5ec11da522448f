//! Wycheproof vectors (C2SP, Apache-2.0; copies in tests/vectors/wycheproof with LICENSE and
//! SOURCE) run through facegate's own AEAD and HKDF functions: every valid case must give the
//! published output, every invalid case must be refused.

use facegate_core::protect::{hkdf_sha256, open_raw, seal_raw};
use serde_json::Value;

fn vectors(name: &str) -> Value {
    let path = format!(
        "{}/../../tests/vectors/wycheproof/{name}",
        env!("CARGO_MANIFEST_DIR")
    );
    serde_json::from_str(&std::fs::read_to_string(&path).expect("vector file")).expect("JSON")
}

fn bytes(case: &Value, field: &str) -> Vec<u8> {
    hex::decode(case[field].as_str().expect("hex field")).expect("hex")
}

fn cases(file: &Value) -> impl Iterator<Item = &Value> {
    file["testGroups"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|g| g["tests"].as_array().unwrap())
}

#[test]
fn aes_256_gcm_siv() {
    let file = vectors("aes_gcm_siv_test.json");
    let (mut valid, mut invalid, mut other_sizes) = (0, 0, 0);
    for group in file["testGroups"].as_array().unwrap() {
        // facegate uses AES-256 only; the AES-128 groups do not apply to its functions.
        if group["keySize"] != 256 {
            other_sizes += group["tests"].as_array().unwrap().len();
            continue;
        }
        for case in group["tests"].as_array().unwrap() {
            let (key, iv, aad, msg) = (
                bytes(case, "key"),
                bytes(case, "iv"),
                bytes(case, "aad"),
                bytes(case, "msg"),
            );
            let sealed = [bytes(case, "ct"), bytes(case, "tag")].concat();
            let id = &case["tcId"];
            if case["result"] == "invalid" {
                assert!(open_raw(&key, &iv, &aad, &sealed).is_none(), "case {id}");
                invalid += 1;
            } else {
                let nonce: [u8; 12] = iv.as_slice().try_into().expect("96-bit nonces");
                assert_eq!(seal_raw(&key, &nonce, &aad, &msg), sealed, "case {id}");
                assert_eq!(
                    open_raw(&key, &iv, &aad, &sealed).as_deref(),
                    Some(&msg),
                    "case {id}"
                );
                valid += 1;
            }
        }
    }
    println!(
        "AES-256-GCM-SIV: {valid} valid passed, {invalid} invalid refused \
         ({other_sizes} AES-128 cases not applicable)"
    );
    assert!(valid > 0 && invalid > 0);
}

#[test]
fn hkdf_sha256_vectors() {
    let file = vectors("hkdf_sha256_test.json");
    let (mut valid, mut invalid) = (0, 0);
    for case in cases(&file) {
        let size = case["size"].as_u64().unwrap() as usize;
        let mut out = vec![0u8; size];
        let got = hkdf_sha256(
            &bytes(case, "salt"),
            &bytes(case, "ikm"),
            &bytes(case, "info"),
            &mut out,
        );
        match case["result"].as_str().unwrap() {
            "valid" => {
                got.unwrap();
                assert_eq!(out, bytes(case, "okm"), "case {}", case["tcId"]);
                valid += 1;
            }
            _ => {
                assert!(got.is_err(), "case {}", case["tcId"]);
                invalid += 1;
            }
        }
    }
    println!("HKDF-SHA256: {valid} valid passed, {invalid} invalid refused");
    assert!(valid > 0 && invalid > 0);
}

#[test]
fn hkdf_rfc5869_case_1() {
    let mut okm = [0u8; 42];
    hkdf_sha256(
        &hex::decode("000102030405060708090a0b0c").unwrap(),
        &[0x0b; 22],
        &hex::decode("f0f1f2f3f4f5f6f7f8f9").unwrap(),
        &mut okm,
    )
    .unwrap();
    assert_eq!(
        hex::encode(okm),
        "3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db02d56ecc4c5bf34007208d5b887185865"
    );
}
