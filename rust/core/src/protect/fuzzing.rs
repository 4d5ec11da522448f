//! The sealed-template decoder's fuzzing oracle, shared by the cargo-fuzz target (`fuzz/`) and
//! the corpus replay test that CI runs, so a crasher found once stays a regression test.

use super::{DataKey, SealContext, open, reencode_template_header, seal};

/// The key the fuzzing corpus's genuine seeds were sealed under (test material only).
pub const FUZZ_KEY: [u8; 32] = [7; 32];

/// The context the seeds were sealed for.
pub const FUZZ_CONTEXT: SealContext<'static> = SealContext {
    deployment: b"fuzz",
    subject: b"s",
    template: 1,
};

/// Feeds `data` to the decoder; panics on any broken property. Returns whether it opened.
pub fn sealed_template_oracle(data: &[u8]) -> bool {
    if let Ok((header, body)) = reencode_template_header(data) {
        // Decoding then encoding the envelope gives back the same bytes.
        assert_eq!(&data[..header.len()], header.as_slice());
        assert_eq!(header.len() + body, data.len());
    }
    let key = DataKey::from_bytes(&FUZZ_KEY).expect("32 bytes");
    let Ok(template) = open(data, &key, &FUZZ_CONTEXT) else {
        return false;
    };
    // Only genuine seals open; what opens seals and opens again to the same values.
    let again = seal(&template, &key, &FUZZ_CONTEXT).expect("an opened template seals again");
    let reopened = open(&again, &key, &FUZZ_CONTEXT).expect("a fresh seal opens");
    assert_eq!(template.as_slice(), reopened.as_slice());
    true
}
