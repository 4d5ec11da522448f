//! cargo-fuzz target: arbitrary bytes into the sealed-template decoder (see
//! `facegate_core::protect::fuzzing`).
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    facegate_core::protect::fuzzing::sealed_template_oracle(data);
});
