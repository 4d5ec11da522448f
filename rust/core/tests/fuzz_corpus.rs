//! Replays the fuzzing corpus (`fuzz/corpus/open_sealed`, crashers included) through the
//! sealed-template oracle, so CI keeps every input fuzzing ever found.

use facegate_core::protect::fuzzing::sealed_template_oracle;
use std::fs;
use std::path::Path;

#[test]
fn every_corpus_input_keeps_the_decoder_s_properties() {
    let folder = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fuzz/corpus/open_sealed");
    let mut inputs = 0;
    let mut opened = 0;
    for entry in fs::read_dir(&folder).expect("the corpus folder exists") {
        let data = fs::read(entry.expect("readable entry").path()).expect("readable input");
        inputs += 1;
        opened += usize::from(sealed_template_oracle(&data));
    }
    println!("fuzz corpus: {inputs} inputs replayed, {opened} genuine seals opened");
    assert!(
        inputs > 0 && opened > 0,
        "the corpus must hold genuine seeds"
    );
}
